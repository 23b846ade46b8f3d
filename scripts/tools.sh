# Sourced by scripts/test and bench/*.sh: builds the pinned external tools
# with go install, once per version, into the user cache.
tools="${XDG_CACHE_HOME:-$HOME/.cache}/sortie-tools"
toolsrc="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools"

MINIO_PKG=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
VERSITYGW_PKG=github.com/versity/versitygw/cmd/versitygw@v1.8.0
RCLONE_PKG=github.com/rclone/rclone@v1.76.0
# The landing zone's tests (internal/tofutest) run OpenTofu with the
# OpenStack provider. OpenTofu's version is the one tools/opentofu/go.mod
# requires: go install refuses OpenTofu (its go.mod has a replace), so it is
# built from that wrapper module.
OPENSTACK_PKG=github.com/terraform-provider-openstack/terraform-provider-openstack/v3@v3.4.0

# current BIN VERSIONFILE WANT: BIN is there and was built from WANT.
current() { [ -x "$1" ] && [ "$(cat "$2" 2>/dev/null)" = "$3" ]; }

# locked CMD...: run CMD holding the tools cache's build lock, so two suites
# started at once never build at the same time (OpenTofu alone takes 2 GB
# of memory and 6 to 15 minutes on two cores). CMD checks again.
locked() {
	mkdir -p "$tools" || return
	(
		flock -n 9 || { echo "waiting for another build into $tools" >&2 && flock 9; } || exit
		"$@"
	) 9>"$tools/.lock"
}

# install NAME MODULE@VERSION: build into $tools/NAME unless that version is there.
install() {
	current "$tools/$1/$1" "$tools/$1/.version" "$2" || locked build_install "$1" "$2"
}
build_install() {
	local name=$1 pkg=$2 dir="$tools/$1"
	current "$dir/$name" "$dir/.version" "$pkg" && return
	echo "installing $pkg (first run only; a few minutes)" >&2
	rm -rf "$dir" && mkdir -p "$dir" || return
	GOBIN="$dir" go install "$pkg" || return
	echo "$pkg" >"$dir/.version"
}

# tofu_version: the OpenTofu version tools/opentofu pins, and a digest of
# its go.mod and go.sum, so that changing the wrapper (a replace, a
# dependency) rebuilds too.
tofu_version() {
	local v
	v=$(awk '$1 == "require" && $2 == "github.com/opentofu/opentofu" { print $3 }' "$toolsrc/opentofu/go.mod")
	[ -n "$v" ] || { echo "tools/opentofu/go.mod does not require github.com/opentofu/opentofu" >&2 && return 1; }
	echo "github.com/opentofu/opentofu@$v $(cat "$toolsrc/opentofu/go.mod" "$toolsrc/opentofu/go.sum" | sha256sum | cut -c1-16)"
}

# install_tofu: build OpenTofu into $tools/opentofu/tofu unless that
# version is there.
install_tofu() {
	local want
	want=$(tofu_version) || return
	current "$tools/opentofu/tofu" "$tools/opentofu/.version" "$want" || locked build_tofu "$want"
}
build_tofu() {
	local want=$1 dir="$tools/opentofu"
	current "$dir/tofu" "$dir/.version" "$want" && return
	echo "building ${want% *} from tools/opentofu (first run only; 6 to 15 minutes on two cores, 2 GB of memory)" >&2
	rm -rf "$dir" && mkdir -p "$dir" || return
	# version.dev=no: a release build, which reports its version plainly.
	(cd "$toolsrc/opentofu" && GOWORK=off go build -mod=readonly -buildvcs=false \
		-ldflags "-X github.com/opentofu/opentofu/version.dev=no" \
		-o "$dir/tofu" github.com/opentofu/opentofu/cmd/tofu) || return
	echo "$want" >"$dir/.version"
}

# openstack_provider: where the provider's binary sits in the filesystem
# mirror $tools/openstack-mirror, laid out as OpenTofu's unpacked mirror
# layout wants it: HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/.
openstack_provider() {
	local v=${OPENSTACK_PKG##*@v}
	echo "$tools/openstack-mirror/registry.opentofu.org/terraform-provider-openstack/openstack/$v/$(go env GOOS)_$(go env GOARCH)/terraform-provider-openstack_v$v"
}

# install_openstack: build the OpenStack provider into its mirror unless
# that version is there.
install_openstack() {
	current "$(openstack_provider)" "$tools/openstack-mirror/.version" "$OPENSTACK_PKG" || locked build_openstack
}
build_openstack() {
	local mirror="$tools/openstack-mirror" bin
	bin=$(openstack_provider) || return
	current "$bin" "$mirror/.version" "$OPENSTACK_PKG" && return
	echo "installing $OPENSTACK_PKG (first run only; a minute or two)" >&2
	rm -rf "$mirror" "$mirror.gobin" && mkdir -p "$mirror.gobin" "$(dirname "$bin")" || return
	GOBIN="$mirror.gobin" go install "$OPENSTACK_PKG" || return
	mv "$mirror.gobin/terraform-provider-openstack" "$bin" && rmdir "$mirror.gobin" || return
	echo "$OPENSTACK_PKG" >"$mirror/.version"
}
