package s3

// SetVersionPage sets how many entries a ListObjectVersions page asks for,
// until the returned func restores it.
func SetVersionPage(n int32) (restore func()) {
	old := versionPage
	versionPage = n
	return func() { versionPage = old }
}
