// Package layering holds no code: its test checks the rules of sortie's
// package layout, as restic checks its own.
//
//   - Only the adapters import the AWS SDK (github.com/aws/...): awsconfig,
//     account/awsread, store/s3, the MinIO admin and probe clients
//     (policy/apply, policy/probe), and the test servers in s3test.
//   - account is plain types: it imports no other sortie package and no
//     third-party one.
//   - The exit deliverables (assess, policy, landing, dns, database) are
//     siblings that read account: none imports another.
//   - Only database/postgres, coordinator (and pgtest) import pgx, only
//     database/mysql (and mysqltest) the MySQL driver, only coordinator
//     River.
package layering
