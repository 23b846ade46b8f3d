package assess

import "github.com/sortie-dev/sortie/internal/bucketname"

// BucketNameProblems returns why a store that applies S3's current naming
// rules (internal/bucketname) refuses name, as the codes of
// bucketname.Reason that the report's "name.*" messages are keyed on, or
// nothing when it accepts it. Old us-east-1 buckets were created under
// laxer rules: upper case, underscores, up to 255 characters.
func BucketNameProblems(name string) []string {
	var why []string
	for _, r := range bucketname.Problems(name) {
		why = append(why, string(r))
	}
	return why
}

// ProposeBucketName returns a name the current rules accept, as close to
// name as they allow, and not in taken (bucketname.Propose).
func ProposeBucketName(name string, taken map[string]bool) string {
	return bucketname.Propose(name, taken)
}
