#!/usr/bin/env bash
# Builds the Kubernetes test bed: kube-apiserver, kube-controller-manager
# and kube-scheduler 1.20.2 from Debian's `kubernetes` source package
# (Debian itself only ships kubectl from it) with Debian's Go 1.19, plus
# Debian's etcd and kubectl (`kubernetes-client`, the tests' oracle).
# Nothing is installed on the system: packages are downloaded and
# unpacked under a work directory.
#
# The binaries are cached in $WARROOM_TESTBED (default
# ~/.cache/warroom-testbed/bin); a second run finds them and exits at once.
#
# Needs: apt-get (Debian bookworm mirror), tar, xz, openssl (at run time).
set -euo pipefail

CACHE=${WARROOM_TESTBED:-$HOME/.cache/warroom-testbed}
BIN=$CACHE/bin
K8S_VERSION=1.20.5+really1.20.2-1.1+deb12u1

SERVERS=(kube-apiserver kube-controller-manager kube-scheduler)
have=1
for b in "${SERVERS[@]}" etcd kubectl; do
    [[ -x $BIN/$b ]] || have=0
done
if ((have)); then
    echo "test bed: cached in $BIN"
    exit 0
fi

mkdir -p "$BIN"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/warroom-k8s-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

APT=(apt-get -o APT::Sandbox::User=root -q)

# Source packages need deb-src lines for the machine's own mirror.
SOURCES_DIR=$WORK/apt
mkdir -p "$SOURCES_DIR/lists/partial" "$SOURCES_DIR/archives/partial"
apt_lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list)
uris=$(cat "${apt_lists[@]}" 2>/dev/null | grep -oE '^(URIs:|deb) +[^ ]+' | awk '{print $2}' | grep -i debian || true)
mirror=$(grep -v security <<<"$uris" | head -n1 || true)
security=$(grep security <<<"$uris" | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
security=${security:-http://deb.debian.org/debian-security}
cat >"$SOURCES_DIR/sources.list" <<EOF
deb $mirror bookworm main
deb-src $mirror bookworm main
deb $security bookworm-security main
deb-src $security bookworm-security main
EOF
APT+=(-o Dir::Etc::SourceList="$SOURCES_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$SOURCES_DIR/lists" -o Dir::Cache::Archives="$SOURCES_DIR/archives")
echo "test bed: fetching package lists"
"${APT[@]}" update >/dev/null

echo "test bed: downloading sources and toolchain"
"${APT[@]}" source --download-only "kubernetes=$K8S_VERSION" >/dev/null
"${APT[@]}" download golang-1.19-go golang-1.19-src etcd-server golang-github-modern-go-reflect2-dev \
    "kubernetes-client=$K8S_VERSION" >/dev/null

mkdir -p root
for deb in ./*.deb; do
    dpkg -x "$deb" root
done
GOROOT=$(echo "$WORK"/root/usr/lib/go-1.19)
export GOROOT PATH=$GOROOT/bin:$PATH
cp root/usr/bin/etcd "$BIN/etcd.tmp" 2>/dev/null || cp "$(find root -type f -name etcd | head -n1)" "$BIN/etcd.tmp"
cp root/usr/bin/kubectl "$BIN/kubectl.tmp"

# The upstream tree (with vendor/) is the .orig tarball.
export GOPATH=$WORK/gopath GO111MODULE=off CGO_ENABLED=0 GOPROXY=off GOCACHE=$WORK/gocache
SRC=$GOPATH/src/k8s.io/kubernetes
mkdir -p "$SRC"
tar -xf kubernetes_*.orig.tar.* -C "$SRC" --strip-components=1

# With Go 1.19 the vendored reflect2 1.0.1 panics decoding any JSON body
# into a type with a map: every create and patch fails. Debian's 1.0.2 has
# the same API.
R2=$SRC/vendor/github.com/modern-go/reflect2
rm -f "$R2"/*.go
cp "$(find root/usr/share/gocode -type d -path '*modern-go/reflect2' | head -n1)"/*.go "$R2/"
rm -f "$R2"/*_test.go

cd "$SRC"
echo "test bed: generating OpenAPI definitions"
# The tarball lacks pkg/generated/openapi/zz_generated.openapi.go; generate
# it for every package carrying a +k8s:openapi-gen= tag, as
# Makefile.generated_files does (make itself needs rsync).
go build -o "$WORK/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
pkgs=$(grep -rl --include='*.go' -E '^// ?\+k8s:openapi-gen=' pkg staging/src vendor/k8s.io 2>/dev/null |
    xargs -n1 dirname | sort -u |
    sed -E 's#^staging/src/##; s#^vendor/##; s#^(pkg|cmd|plugin|test)/#k8s.io/kubernetes/\1/#' |
    paste -sd, -)
"$WORK/openapi-gen" --input-dirs "$pkgs" \
    --output-package k8s.io/kubernetes/pkg/generated/openapi \
    --output-base "$GOPATH/src" -O zz_generated.openapi \
    --go-header-file hack/boilerplate/boilerplate.generatego.txt \
    --report-filename /dev/null >/dev/null

echo "test bed: building ${SERVERS[*]}"
mkdir -p "$WORK/out"
go build -o "$WORK/out/" -ldflags "-s -w" "${SERVERS[@]/#/./cmd/}"
for b in "${SERVERS[@]}"; do
    mv "$WORK/out/$b" "$BIN/$b"
done
mv "$BIN/etcd.tmp" "$BIN/etcd"
mv "$BIN/kubectl.tmp" "$BIN/kubectl"
echo "test bed: built ${SERVERS[*]} and took etcd and kubectl into $BIN"
