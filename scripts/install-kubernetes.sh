#!/usr/bin/env bash
# Build the Kubernetes components mock-accel's clusters run, from their Go modules (no
# Kubernetes binary is downloaded): kube-apiserver, kube-controller-manager, kube-scheduler,
# kubelet and kubectl from k8s.io/kubernetes at a pinned release, etcd from
# go.etcd.io/etcd/server/v3 at the version that release requires, and helm from
# helm.sh/helm/v4. Installs into "$CACHE/kubernetes/<version>/bin" and is idempotent.
#
#   scripts/install-kubernetes.sh [-v] [--version X.Y.Z] [--helm-version X.Y.Z]
#
# k8s.io/kubernetes is not meant to be a dependency: its go.mod points each k8s.io/* staging
# module at ./staging with a replace line and requires it at v0.0.0. A small tools module
# here requires k8s.io/kubernetes and pins every one of those to the matching v0.X.Y.
#
# stdout: one line, the bin directory. stderr: progress (with -v, a line at least every 10 s
# while Go compiles). Exit status non-zero on failure; a failed build leaves no bin directory.
#
# Environment: XDG_CACHE_HOME / MOCK_ACCEL_CACHE (cache root, as the other installers),
# GOMODCACHE / GOCACHE (Go's own caches; a warm build cache makes a rebuild take seconds).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# shellcheck disable=SC1091
. "$here/kubernetes.versions"
version="$KUBERNETES_VERSION"
helm_version="$HELM_VERSION"
verbose=0
usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    -v|--verbose) verbose=1 ;;
    --version) [ $# -ge 2 ] || { echo "install-kubernetes: --version needs a value" >&2; exit 2; }; version="${2#v}"; shift ;;
    --version=*) version="${1#--version=}"; version="${version#v}" ;;
    --helm-version) [ $# -ge 2 ] || { echo "install-kubernetes: --helm-version needs a value" >&2; exit 2; }; helm_version="${2#v}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-kubernetes: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "install-kubernetes: $*" >&2; }
die() { say "error: $*"; exit 1; }

[[ "$version" =~ ^1\.([0-9]+)\.([0-9]+)$ ]] || die "--version $version: expected 1.MINOR.PATCH, e.g. $KUBERNETES_VERSION"
minor="${BASH_REMATCH[1]}"
oldest_minor="$(echo "$KUBERNETES_OLDEST_SUPPORTED" | cut -d. -f2)"
(( minor >= oldest_minor )) || die "--version $version: mock-accel needs resource.k8s.io/v1, first served by Kubernetes $KUBERNETES_OLDEST_SUPPORTED"
[[ "$helm_version" =~ ^4\.[0-9]+\.[0-9]+$ ]] || die "--helm-version $helm_version: expected a Helm 4 release, e.g. $HELM_VERSION"

CACHE="${MOCK_ACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mock-accel}"
PREFIX="$CACHE/kubernetes/$version"
BIN="$PREFIX/bin"
STAMP="$BIN/.mock-accel-installed"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd helm)
want_stamp="kubernetes=$version helm=$helm_version recipe=2"

installed() {
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
}
if installed; then
  [ "$verbose" = 1 ] && say "Kubernetes $version and Helm $helm_version already built in $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || die "no Go toolchain; install Go (Debian: apt-get install golang-go, or Go 1.26+) and run this again"
# The machine's own Go builds everything; never fetch another toolchain behind the user's back.
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
start=$(date +%s)
gocache_mb=$(du -sm "$(go env GOCACHE)" 2>/dev/null | cut -f1 || echo 0)
say "building Kubernetes $version and Helm $helm_version from their Go modules into $BIN"
say "(a first build compiles about 4,000 packages: 20-40 minutes on 2 cores; later builds reuse Go's cache)"

work="$PREFIX/build"
rm -rf "$work" "$BIN.new"
mkdir -p "$work/kubernetes" "$work/helm" "$BIN.new"
cleanup() { rm -rf "$work" "$BIN.new"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# go build -v names each package as it compiles it; show a count every 10 s instead of the flood.
progress() { # label total
  local label="$1" total="$2" n=0 last="" shown
  shown=$(date +%s)
  while IFS= read -r line; do
    case "$line" in
      *" "*|"") printf '%s\n' "$line" >&2 ;;   # compiler messages carry spaces; package paths do not
      *) n=$((n + 1)); last="$line" ;;
    esac
    if [ "$verbose" = 1 ] && (( $(date +%s) - shown >= 10 )); then
      say "  $label: $n of ~$total packages compiled (now $last)"
      shown=$(date +%s)
    fi
  done
  [ "$verbose" = 1 ] && say "  $label: $n packages compiled"
  return 0
}

# build LABEL DIR OUT PKG...: go build in module DIR, with a progress count.
build() {
  local label="$1" dir="$2" out="$3"; shift 3
  local total="?"
  # Only the -v progress line uses the count; listing the graph costs seconds.
  if [ "$verbose" = 1 ]; then total=$( (cd "$dir" && go list -deps "$@" 2>/dev/null | wc -l) || echo "?"); fi
  set +e
  (cd "$dir" && go build -v -trimpath -ldflags "$LDFLAGS" -o "$out" "$@") 2>&1 | progress "$label" "$total"
  local rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" = 0 ] || die "go build of $label failed (exit $rc); the lines above say why"
}

# --- Kubernetes and etcd ------------------------------------------------------------------
say "[1/3] resolving k8s.io/kubernetes v$version"
info=$(cd "$work/kubernetes" && go mod download -json "k8s.io/kubernetes@v$version") \
  || die "the Go module proxy has no k8s.io/kubernetes v$version (list what it serves: go list -m -versions k8s.io/kubernetes)"
k8s_gomod=$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
k8s_time=$(printf '%s' "$info" | sed -n 's/^[[:space:]]*"Time": "\(.*\)",\{0,1\}$/\1/p')
[ -r "$k8s_gomod" ] || die "go mod download gave no go.mod for k8s.io/kubernetes v$version"
go_needed=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$k8s_gomod")
go_have=$(go env GOVERSION | sed 's/^go//')
if [ "$(printf '%s\n%s\n' "$go_needed" "$go_have" | sort -V | head -1)" != "$go_needed" ]; then
  die "k8s.io/kubernetes v$version needs Go $go_needed; this machine has $go_have (export GOTOOLCHAIN=go$go_needed to let the go command fetch it)"
fi
{
  echo "// Generated by scripts/install-kubernetes.sh: builds Kubernetes v$version from its module."
  echo "module mock-accel.local/kubernetes-build"
  echo
  echo "go $go_needed"
  echo
  echo "require k8s.io/kubernetes v$version"
  echo
  echo "replace ("
  # Every staging module the release points at ./staging/src/k8s.io/NAME is published as k8s.io/NAME v0.MINOR.PATCH.
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\t\1 => \1 v0.'"${version#1.}"'#p' "$k8s_gomod"
  echo ")"
} > "$work/kubernetes/go.mod"
cat > "$work/kubernetes/tools.go" <<'EOF'
//go:build tools

// The programs this module builds; the build tag keeps go vet and go build away from it.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
EOF
say "[1/3] resolving the module graph (go mod tidy)"
(cd "$work/kubernetes" && go mod tidy >/dev/null 2>"$work/tidy.log") || { cat "$work/tidy.log" >&2; die "go mod tidy failed for Kubernetes v$version"; }

# What `kubectl version` and the API server's /version report, as Kubernetes' own build sets it.
build_date="${k8s_time:-1970-01-01T00:00:00Z}"
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $pkg.gitVersion=v$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
say "[2/3] compiling kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl, etcd"
build kubernetes "$work/kubernetes" "$BIN.new/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl
etcd_version=$(cd "$work/kubernetes" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
LDFLAGS="-s -w"
build "etcd $etcd_version" "$work/kubernetes" "$BIN.new/etcd" go.etcd.io/etcd/server/v3

# --- Helm ------------------------------------------------------------------------------------
say "[3/3] compiling helm v$helm_version"
cat > "$work/helm/go.mod" <<EOF
// Generated by scripts/install-kubernetes.sh: builds Helm v$helm_version from its module.
module mock-accel.local/helm-build

go $go_needed

require helm.sh/helm/v4 v$helm_version
EOF
cat > "$work/helm/tools.go" <<'EOF'
//go:build tools

package tools

import _ "helm.sh/helm/v4/cmd/helm"
EOF
(cd "$work/helm" && go mod tidy >/dev/null 2>"$work/tidy.log") || { cat "$work/tidy.log" >&2; die "go mod tidy failed for Helm v$helm_version"; }
LDFLAGS="-s -w -X helm.sh/helm/v4/internal/version.version=v$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
build helm "$work/helm" "$BIN.new/helm" helm.sh/helm/v4/cmd/helm

for b in "${BINARIES[@]}"; do [[ -x "$BIN.new/$b" ]] || die "the build made no $b"; done
echo "$want_stamp" > "$BIN.new/.mock-accel-installed"
# For `bun run bench`: how long this build took, and how warm Go's build cache was when it began.
echo "seconds=$(( $(date +%s) - start )) gocache_mb_before=${gocache_mb:-0} cores=$(nproc)" > "$BIN.new/.build-time"
rm -rf "$BIN"
mv "$BIN.new" "$BIN"
say "built in $(( $(date +%s) - start )) s: $BIN (etcd $etcd_version)"
echo "$BIN"
