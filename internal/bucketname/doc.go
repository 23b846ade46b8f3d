// Package bucketname holds AWS's naming rules for S3 general purpose
// buckets (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)
// in one place: the current rules, which a new bucket must follow and
// which S3-compatible stores (MinIO, Ceph RGW by default, Garage) apply in
// their core; the looser rules us-east-1 applied before March 2018, under
// which buckets still exist; and a valid name proposed for one that breaks
// the current rules.
//
// It is pure: it says whether a name is acceptable and why not, and asks
// no server. It knows nothing of s3:// locations, of which side of a copy
// a bucket is on, or of how a report words a reason; its callers decide
// which rules apply (location: a source follows the legacy rules, a
// destination the current ones; assess: a bucket on the target).
package bucketname
