# Sourced by scripts/test and bench/*.sh: builds the pinned external tools
# with go install, once per version, into the user cache.
tools="${XDG_CACHE_HOME:-$HOME/.cache}/sortie-tools"

MINIO_PKG=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw@v1.8.0
RCLONE_PKG=github.com/rclone/rclone@v1.76.0

# install NAME MODULE@VERSION: build into $tools/NAME unless that version is there.
install() {
	local name=$1 pkg=$2 dir="$tools/$1"
	if [ ! -x "$dir/$name" ] || [ "$(cat "$dir/.version" 2>/dev/null)" != "$pkg" ]; then
		echo "installing $pkg (first run only; a few minutes)" >&2
		rm -rf "$dir" && mkdir -p "$dir"
		GOBIN="$dir" go install "$pkg"
		echo "$pkg" >"$dir/.version"
	fi
}
