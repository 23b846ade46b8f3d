package assess

import (
	"github.com/sortie-dev/sortie/internal/flavour"
)

// Target is the kind of S3-compatible store the buckets land on, and what it
// lacks of S3's features.
type Target struct {
	Name        string `json:"name"`
	Versioning  bool   `json:"versioning"`
	Tagging     bool   `json:"tagging"`
	Policies    bool   `json:"bucket_policies"`
	Lifecycle   bool   `json:"lifecycle"`
	ObjectLock  bool   `json:"object_lock"`
	Replication bool   `json:"replication"`
	KMS         bool   `json:"kms"`
}

// Targets are the stores sortie knows, from their documentation (MinIO,
// Ceph RGW's S3 API compatibility table, Garage's S3 compatibility page,
// SeaweedFS's S3 API wiki). "s3" is a provider's S3 endpoint of unknown
// make: nothing is assumed missing, and the flags say what to check.
var Targets = map[string]Target{
	"minio":     {Name: "MinIO", Versioning: true, Tagging: true, Policies: true, Lifecycle: true, ObjectLock: true, Replication: true, KMS: true},
	"ceph":      {Name: "Ceph RGW", Versioning: true, Tagging: true, Policies: true, Lifecycle: true, ObjectLock: true, Replication: true, KMS: true},
	"garage":    {Name: "Garage"},
	"seaweedfs": {Name: "SeaweedFS", Versioning: true, Tagging: true, Policies: false, Lifecycle: false, ObjectLock: false},
	"s3":        {Name: "S3-compatible endpoint", Versioning: true, Tagging: true, Policies: true, Lifecycle: true, ObjectLock: true, Replication: true, KMS: true},
}

// Flavour maps an EC2 instance type to an SCS flavour (package flavour).
func Flavour(typ string) (name string, standard, gpu, ok bool) { return flavour.EC2(typ) }
