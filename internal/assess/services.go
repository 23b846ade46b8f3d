package assess

import (
	"slices"
	"strings"

	"github.com/sortie-dev/sortie/internal/bill"
	"github.com/sortie-dev/sortie/internal/lang"
)

// kindServices is the bill's product code that pays for each kind of item.
var kindServices = map[string]string{
	"bucket": "AmazonS3", "instance": "AmazonEC2", "volume": "AmazonEC2", "snapshot": "AmazonEC2",
	"database": "AmazonRDS", "zone": "AmazonRoute53", "function": "AWSLambda", "distribution": "AmazonCloudFront",
	"appstream-fleet": "AmazonAppStream", "appstream-stack": "AmazonAppStream", "workspace": "AmazonWorkSpaces",
	"file-system": "AmazonEFS",
}

// otherServices is the product code of a tagging-API service prefix.
var otherServices = map[string]string{
	"dynamodb": "AmazonDynamoDB", "elasticloadbalancing": "AWSELB", "sqs": "AWSQueueService", "sns": "AmazonSNS",
	"kms": "awskms", "secretsmanager": "AWSSecretsManager", "logs": "AmazonCloudWatch", "cloudwatch": "AmazonCloudWatch",
	"ecs": "AmazonECS", "eks": "AmazonEKS", "elasticache": "AmazonElastiCache", "es": "AmazonES",
	"apigateway": "AmazonApiGateway", "states": "AWSStepFunctions", "kinesis": "AmazonKinesis", "glue": "AWSGlue",
	"sagemaker": "AmazonSageMaker", "redshift": "AmazonRedshift", "backup": "AWSBackup", "fsx": "AmazonFSx",
}

// focusNames are FOCUS's ServiceName for the product codes above: a FOCUS
// bill names services, a CUR gives codes.
var focusNames = map[string]string{
	"Amazon Simple Storage Service": "AmazonS3", "Amazon Elastic Compute Cloud": "AmazonEC2",
	"Amazon Relational Database Service": "AmazonRDS", "Amazon Route 53": "AmazonRoute53", "AWS Lambda": "AWSLambda",
	"Amazon CloudFront": "AmazonCloudFront", "Amazon AppStream": "AmazonAppStream", "Amazon WorkSpaces": "AmazonWorkSpaces",
	"Amazon Elastic File System": "AmazonEFS", "AWS Data Transfer": "AWSDataTransfer", "Amazon DynamoDB": "AmazonDynamoDB",
	"Elastic Load Balancing": "AWSELB", "Amazon Simple Queue Service": "AWSQueueService",
	"Amazon Simple Notification Service": "AmazonSNS", "AWS Key Management Service": "awskms", "Amazon CloudWatch": "AmazonCloudWatch",
	"Amazon Virtual Private Cloud": "AmazonVPC", "Savings Plans for AWS Compute usage": "ComputeSavingsPlans",
}

// productCode is the product code a bill's service name stands for.
func productCode(service string) string {
	if c, ok := focusNames[service]; ok {
		return c
	}
	return service
}

// itemService is the product code that pays for it.
func itemService(it Item) string {
	if s := kindServices[it.Kind]; s != "" {
		return s
	}
	if it.Kind == "other" {
		prefix, _, _ := strings.Cut(it.Name, ":")
		return otherServices[prefix]
	}
	return ""
}

// joinBill puts each billed service's monthly spend beside the items it
// pays for, and marks each item with its service. Services with spend and
// no item are kept, with a note on what the spend is.
func joinBill(b *bill.Summary, its []Item, l lang.Lang) []ServiceSpend {
	months := float64(max(len(b.Months), 1))
	var out []ServiceSpend
	for _, s := range b.Services {
		if s.Cost == 0 {
			continue
		}
		code := productCode(s.Name)
		ss := ServiceSpend{Service: s.Name, Monthly: s.Cost / months}
		for i := range its {
			if itemService(its[i]) == code {
				its[i].Service = s.Name
				ss.Items++
				if !slices.Contains(ss.Kinds, its[i].Kind) {
					ss.Kinds = append(ss.Kinds, its[i].Kind)
				}
			}
		}
		if ss.Items == 0 {
			key := "service." + code
			if !messages.Has(key) {
				key = "service.unknown"
			}
			ss.Note = messages.T(l, key)
		}
		out = append(out, ss)
	}
	return out
}
