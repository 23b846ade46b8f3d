// Package account holds what an AWS account contains, as plain types that
// every exit deliverable reads — assess, policy, and the landing zone, DNS
// and database moves to come — without knowing how it was read.
//
// It imports no AWS SDK: the readers in account/awsread fill these types
// once, live through the API or offline from aws-cli's output, and
// nothing downstream sees an SDK type. It is not for planning or
// translating: those are the deliverables' own packages.
package account

// Inventory is what an AWS account holds, as far as the reader could see.
type Inventory struct {
	Account       string         `json:"account,omitempty"`
	Source        string         `json:"source"` // "live (profile x)" or "offline (dir)"
	Regions       []string       `json:"regions"`
	Buckets       []Bucket       `json:"buckets"`
	Instances     []Instance     `json:"instances"`
	Volumes       []Volume       `json:"volumes"`
	Snapshots     []Snapshot     `json:"snapshots"`
	Databases     []Database     `json:"databases"`
	IAM           *IAM           `json:"iam,omitempty"`
	Zones         []Zone         `json:"zones"`
	Functions     []Function     `json:"functions"`
	Distributions []Distribution `json:"distributions"`
	// AppStreamFleets and AppStreamStacks are AppStream 2.0's streamed
	// desktops and applications: a university's virtual lab.
	AppStreamFleets []AppStreamFleet `json:"appstream_fleets"`
	AppStreamStacks []AppStreamStack `json:"appstream_stacks"`
	WorkSpaces      []WorkSpace      `json:"workspaces"`
	FileSystems     []FileSystem     `json:"file_systems"` // EFS
	// Network is the EC2 estate a landing zone rebuilds; nil when it was
	// not read (assess reads only counts).
	Network *Network `json:"network,omitempty"`
	// Other counts resources of every other type the tagging API found.
	Other []ResourceCount `json:"other"`
	// Problems are what could not be read (permissions, services absent
	// from an offline directory); each is also a line of the plan.
	Problems []Problem `json:"problems"`
}

// Bucket is an S3 bucket and what moving it involves.
type Bucket struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// Classes holds bytes and objects per storage class (STANDARD, GLACIER…).
	Classes map[string]Usage `json:"classes"`
	// Sizes says where the figures come from: "cloudwatch", "listing", or
	// "unknown" when neither was available.
	Sizes string `json:"sizes_from"`
	// ObjectsEstimated: CloudWatch counts objects for all classes together;
	// per class they are shared out in proportion to bytes.
	ObjectsEstimated bool   `json:"objects_estimated,omitempty"`
	Versioning       string `json:"versioning"` // Enabled, Suspended, "" (never enabled)
	LifecycleRules   int    `json:"lifecycle_rules"`
	Replication      bool   `json:"replication"`
	Encryption       string `json:"encryption,omitempty"` // AES256, aws:kms, …
	ObjectLock       bool   `json:"object_lock"`
	// PublicBlocked: all four Block Public Access settings are on.
	PublicBlocked bool `json:"public_access_blocked"`
}

// Usage is bytes and objects.
type Usage struct {
	Bytes   int64 `json:"bytes"`
	Objects int64 `json:"objects"`
}

// Total sums a bucket's classes.
func (b Bucket) Total() Usage {
	var u Usage
	for _, c := range b.Classes {
		u.Bytes += c.Bytes
		u.Objects += c.Objects
	}
	return u
}

// Instance is an EC2 instance.
type Instance struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Region   string `json:"region"`
	Type     string `json:"type"`
	State    string `json:"state"`
	Platform string `json:"platform"` // Linux/UNIX, Windows, …
}

// Volume is an EBS volume.
type Volume struct {
	ID       string `json:"id"`
	Region   string `json:"region"`
	GiB      int64  `json:"gib"`
	Type     string `json:"type"`
	Attached string `json:"attached_to,omitempty"`
}

// Snapshot is an EBS snapshot the account owns.
type Snapshot struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	GiB    int64  `json:"gib"`
}

// Database is an RDS instance.
type Database struct {
	ID      string `json:"id"`
	Region  string `json:"region"`
	Engine  string `json:"engine"`
	Version string `json:"version"`
	Class   string `json:"class"`
	GiB     int64  `json:"gib"`
	MultiAZ bool   `json:"multi_az"`
	// Address and Port are the instance's endpoint; MasterUser its master
	// user name; DBName the database created with it ("" when none was).
	Address    string `json:"address,omitempty"`
	Port       int32  `json:"port,omitempty"`
	MasterUser string `json:"master_user,omitempty"`
	DBName     string `json:"db_name,omitempty"`
	// IAMAuth says logins may use IAM authentication tokens.
	IAMAuth bool `json:"iam_auth,omitempty"`
}

// IAM counts the account's identities and policies.
type IAM struct {
	Users           int `json:"users"`
	Groups          int `json:"groups"`
	Roles           int `json:"roles"`
	ServiceRoles    int `json:"service_roles"` // roles only AWS services assume
	ManagedPolicies int `json:"customer_managed_policies"`
	InlinePolicies  int `json:"inline_policies"`
	AWSManagedInUse int `json:"aws_managed_policies_attached"`
}

// Zone is a Route 53 hosted zone.
type Zone struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Private bool   `json:"private"`
	Records int64  `json:"records"`
}

// Function is a Lambda function.
type Function struct {
	Name    string `json:"name"`
	Region  string `json:"region"`
	Runtime string `json:"runtime"`
	MemMB   int32  `json:"memory_mb"`
}

// Distribution is a CloudFront distribution.
type Distribution struct {
	ID      string   `json:"id"`
	Domain  string   `json:"domain"`
	Aliases []string `json:"aliases,omitempty"`
	Origins []string `json:"origins"`
}

// ResourceCount counts resources of one type that no other reader covers.
type ResourceCount struct {
	Type  string `json:"type"` // service:resource-type, e.g. sqs:queue
	Count int    `json:"count"`
}

// Problem is something the reader could not see, and why.
type Problem struct {
	Service string `json:"service"`
	Region  string `json:"region,omitempty"`
	Error   string `json:"error"`
}

// AppStreamFleet is an AppStream 2.0 fleet: the streaming instances users
// connect to.
type AppStreamFleet struct {
	Name         string `json:"name"`
	Region       string `json:"region"`
	InstanceType string `json:"instance_type"` // stream.standard.medium, stream.graphics.g4dn.xlarge…
	FleetType    string `json:"fleet_type"`    // ALWAYS_ON, ON_DEMAND, ELASTIC
	State        string `json:"state"`         // RUNNING, STOPPED…
	Platform     string `json:"platform"`      // WINDOWS_SERVER_2022, AMAZON_LINUX2…
	Image        string `json:"image,omitempty"`
	// Desired is the fleet's desired capacity: streaming instances, or
	// sessions for a multi-session fleet.
	Desired int32 `json:"desired"`
}

// AppStreamStack is an AppStream 2.0 stack: what users see (applications,
// storage) in front of a fleet.
type AppStreamStack struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// Storage lists the stack's storage connectors: HOMEFOLDERS (S3 home
	// folders), GOOGLE_DRIVE, ONE_DRIVE.
	Storage []string `json:"storage,omitempty"`
}

// WorkSpace is an Amazon WorkSpaces virtual desktop.
type WorkSpace struct {
	ID          string `json:"id"`
	Region      string `json:"region"`
	UserName    string `json:"user_name,omitempty"`
	Directory   string `json:"directory,omitempty"`
	Bundle      string `json:"bundle,omitempty"`
	ComputeType string `json:"compute_type"` // VALUE, STANDARD, PERFORMANCE, POWER, GRAPHICS…
	RunningMode string `json:"running_mode"` // AUTO_STOP, ALWAYS_ON
	State       string `json:"state"`
	RootGiB     int32  `json:"root_gib"`
	UserGiB     int32  `json:"user_gib"`
}

// FileSystem is an EFS file system.
type FileSystem struct {
	ID              string `json:"id"`
	Name            string `json:"name,omitempty"`
	Region          string `json:"region"`
	Bytes           int64  `json:"bytes"` // latest metered size
	PerformanceMode string `json:"performance_mode"`
	ThroughputMode  string `json:"throughput_mode"`
	Encrypted       bool   `json:"encrypted"`
	MountTargets    int32  `json:"mount_targets"`
}
