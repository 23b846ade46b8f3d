package awsread

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/route53"
)

// Route 53's files. The zones are the inventory's listing
// (route53-list-hosted-zones.json); the health checks are one file beside
// it; each zone's calls write one file each in a directory named for the
// zone's ID (without /hostedzone/), the file named for the command:
//
//	route53/ZONE-ID/get-hosted-zone.json
//	route53/ZONE-ID/list-resource-record-sets.json   (aws-cli reads every page)
//	route53/ZONE-ID/get-dnssec.json                  (public zones only)
//
// as a bucket's settings are, so that a refused call leaves its .error
// beside the others.
const (
	fileHealthChecks = "route53-list-health-checks"
	dirZones         = "route53"
	fileHostedZone   = "get-hosted-zone"
	fileRecordSets   = "list-resource-record-sets"
	fileDNSSEC       = "get-dnssec"
)

// zoneFile is the export's file for a zone's call.
func zoneFile(id, call string) string { return dirZones + "/" + id + "/" + call }

// errCutShort says an export's file ends before its JSON does: the script
// was stopped, or the disk filled, while aws-cli wrote it.
type errCutShort struct{ name, dir string }

func (e errCutShort) Error() string {
	return fmt.Sprintf("%s.json in %s ends before its JSON does: the export was cut short (re-run the export script, or read it live)", e.name, e.dir)
}

// loadWhole is load, telling a file cut short from one that is not
// aws-cli's output at all.
func loadWhole[T any](o *Offline, name string) (*T, error) {
	b, err := o.raw(name)
	if err != nil || b == nil {
		return new(T), err
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		// A stream decoder says a value stopped short as io.ErrUnexpectedEOF.
		var whole json.RawMessage
		if errors.Is(json.NewDecoder(bytes.NewReader(b)).Decode(&whole), io.ErrUnexpectedEOF) {
			return nil, errCutShort{name, o.dir}
		}
		return nil, o.notCLI(name, err)
	}
	return out, nil
}

// HostedZone implements dnsReader.
func (o *Offline) HostedZone(_ context.Context, id string) (*route53.GetHostedZoneOutput, error) {
	return loadWhole[route53.GetHostedZoneOutput](o, zoneFile(id, fileHostedZone))
}

// RecordSets implements dnsReader.
func (o *Offline) RecordSets(_ context.Context, id string) (*route53.ListResourceRecordSetsOutput, error) {
	return loadWhole[route53.ListResourceRecordSetsOutput](o, zoneFile(id, fileRecordSets))
}

// DNSSEC implements dnsReader.
func (o *Offline) DNSSEC(_ context.Context, id string) (*route53.GetDNSSECOutput, error) {
	return loadWhole[route53.GetDNSSECOutput](o, zoneFile(id, fileDNSSEC))
}

// HealthChecks implements dnsReader.
func (o *Offline) HealthChecks(context.Context) (*route53.ListHealthChecksOutput, error) {
	return loadWhole[route53.ListHealthChecksOutput](o, fileHealthChecks)
}
