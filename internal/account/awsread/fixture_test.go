package awsread

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// fixtureAWS serves an account's API responses from files, in the formats
// AWS documents for each API — XML for S3, EC2, ELBv2, IAM, RDS, STS,
// Route 53 and CloudFront, JSON for Lambda, the tagging API, AppStream, WorkSpaces and
// EFS, CBOR for CloudWatch —
// so that the SDK clients run their real request and response code. The
// service and region come from the request's SigV4 credential scope.
type fixtureAWS struct {
	dir string
	t   testing.TB

	mu       sync.Mutex
	requests map[string]int // "service Operation" → count
	// forms holds the parameters of every query-protocol request, by
	// "service Operation", so that tests can check what was asked.
	forms map[string][]url.Values
	// deny makes a service answer AccessDenied.
	deny map[string]bool
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+)/([^/]+)/aws4_request`)

func startFixture(t testing.TB, dir string) (*fixtureAWS, string) {
	f := &fixtureAWS{dir: dir, t: t, requests: map[string]int{}, forms: map[string][]url.Values{}, deny: map[string]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f, "http://" + l.Addr().String()
}

func (f *fixtureAWS) count(key string) {
	f.mu.Lock()
	f.requests[key]++
	f.mu.Unlock()
}

func (f *fixtureAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	region, service := m[1], m[2]
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		f.t.Errorf("assess sent a %s to %s: it must only read", r.Method, service)
		http.Error(w, "read-only fixture", http.StatusMethodNotAllowed)
		return
	}
	switch service {
	case "sts", "ec2", "rds", "iam", "elasticloadbalancing":
		form, _ := url.ParseQuery(string(body))
		op := form.Get("Action")
		f.count(service + " " + op)
		f.mu.Lock()
		f.forms[service+" "+op] = append(f.forms[service+" "+op], form)
		f.mu.Unlock()
		if f.deny[service] {
			f.queryDenied(w, service, op)
			return
		}
		name := op
		if service == "ec2" && op != "DescribeRegions" || service == "rds" || service == "elasticloadbalancing" {
			name += "." + region
		}
		// Calls made once per object answer from a file per object.
		switch op {
		case "DescribeImages":
			if form.Get("Owner.1") == "self" {
				name += ".self"
			} else {
				name += ".in-use"
			}
		case "GetManagedPrefixListEntries":
			name += "." + form.Get("PrefixListId")
		case "DescribeListeners":
			name += "." + arnName(form.Get("LoadBalancerArn"))
		case "DescribeTargetHealth":
			name += "." + arnName(form.Get("TargetGroupArn"))
		}
		f.serve(w, service+"/"+name, "xml", "text/xml")
	case "s3":
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
		if parts[0] == "" {
			f.count("s3 ListBuckets")
			f.serve(w, "s3/ListBuckets", "xml", "application/xml")
			return
		}
		for _, sub := range []string{"location", "versioning", "lifecycle", "replication", "encryption", "object-lock", "publicAccessBlock"} {
			if r.URL.Query().Has(sub) {
				f.count("s3 " + sub)
				f.serve(w, "s3/"+parts[0]+"."+sub, "xml", "application/xml")
				return
			}
		}
		http.Error(w, "unexpected S3 request "+r.URL.String(), http.StatusNotImplemented)
	case "route53":
		f.count("route53 ListHostedZones")
		f.serve(w, "route53/ListHostedZones", "xml", "application/xml")
	case "cloudfront":
		f.count("cloudfront ListDistributions")
		f.serve(w, "cloudfront/ListDistributions", "xml", "application/xml")
	case "lambda":
		f.count("lambda ListFunctions")
		f.serve(w, "lambda/ListFunctions."+region, "json", "application/json")
	case "tagging":
		f.count("tagging GetResources")
		f.serve(w, "tagging/GetResources."+region, "json", "application/x-amz-json-1.1")
	case "appstream", "workspaces":
		// JSON 1.1: the operation is X-Amz-Target's, Service.Operation.
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		f.count(service + " " + op)
		f.serve(w, service+"/"+op+"."+region, "json", "application/x-amz-json-1.1")
	case "elasticfilesystem":
		if r.URL.Path != "/2015-02-01/file-systems" {
			http.Error(w, "unexpected EFS request "+r.URL.String(), http.StatusNotImplemented)
			return
		}
		f.count("elasticfilesystem DescribeFileSystems")
		f.serve(w, "elasticfilesystem/DescribeFileSystems."+region, "json", "application/json")
	case "monitoring":
		f.count("monitoring GetMetricData")
		f.metricData(w, body)
	default:
		http.Error(w, "no fixture for service "+service, http.StatusNotImplemented)
	}
}

// arnName is the name in a load balancer's or target group's ARN:
// …:loadbalancer/app/NAME/ID, …:targetgroup/NAME/ID.
func arnName(arn string) string {
	parts := strings.Split(arn, "/")
	if len(parts) < 3 {
		return arn
	}
	return parts[len(parts)-2]
}

func (f *fixtureAWS) queryDenied(w http.ResponseWriter, service, op string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	if service == "ec2" {
		io.WriteString(w, `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>1</RequestID></Response>`)
		return
	}
	io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: `+service+`:`+op+`</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
}

// serve answers NAME.EXT with 200, or NAME.403.EXT / NAME.404.EXT with that
// status (a JSON error's type goes in X-Amzn-ErrorType, as Lambda does).
func (f *fixtureAWS) serve(w http.ResponseWriter, name, ext, ctype string) {
	for _, status := range []int{200, 403, 404} {
		p := filepath.Join(f.dir, name+"."+ext)
		if status != 200 {
			p = filepath.Join(f.dir, name+"."+strconv.Itoa(status)+"."+ext)
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		w.Header().Set("Content-Type", ctype)
		if ext == "json" && status != 200 {
			var e struct {
				Type string `json:"__type"`
			}
			json.Unmarshal(b, &e)
			w.Header().Set("X-Amzn-ErrorType", e.Type)
		}
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	f.t.Errorf("fixture has no response %s", name)
	http.Error(w, "no fixture "+name, http.StatusNotImplemented)
}

// metricData answers GetMetricData from monitoring/metrics.json, keyed by
// bucket/metric/storage type, decoding the CBOR queries the SDK sent.
func (f *fixtureAWS) metricData(w http.ResponseWriter, body []byte) {
	var values map[string]float64
	b, err := os.ReadFile(filepath.Join(f.dir, "monitoring/metrics.json"))
	if err == nil {
		err = json.Unmarshal(b, &values)
	}
	if err != nil {
		f.t.Errorf("metrics fixture: %v", err)
		return
	}
	in, err := cbor.Decode(body)
	if err != nil {
		f.t.Errorf("GetMetricData request is not CBOR: %v", err)
		return
	}
	day := float64(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).Unix())
	var results cbor.List
	for _, q := range in.(cbor.Map)["MetricDataQueries"].(cbor.List) {
		qm := q.(cbor.Map)
		metric := qm["MetricStat"].(cbor.Map)["Metric"].(cbor.Map)
		dims := map[string]string{}
		for _, d := range metric["Dimensions"].(cbor.List) {
			dm := d.(cbor.Map)
			dims[string(dm["Name"].(cbor.String))] = string(dm["Value"].(cbor.String))
		}
		key := dims["BucketName"] + "/" + string(metric["MetricName"].(cbor.String)) + "/" + dims["StorageType"]
		res := cbor.Map{"Id": qm["Id"], "Label": metric["MetricName"], "StatusCode": cbor.String("Complete"), "Timestamps": cbor.List{}, "Values": cbor.List{}}
		if v, ok := values[key]; ok {
			// Newest first, as CloudWatch returns them; the day before differs.
			res["Timestamps"] = cbor.List{&cbor.Tag{ID: 1, Value: cbor.Float64(day)}, &cbor.Tag{ID: 1, Value: cbor.Float64(day - 86400)}}
			res["Values"] = cbor.List{cbor.Float64(v), cbor.Float64(v * 0.99)}
		}
		results = append(results, res)
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Write(cbor.Encode(cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}))
}
