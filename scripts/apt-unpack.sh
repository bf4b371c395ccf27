#!/usr/bin/env bash
# Unpack Debian packages and their dependency closure from another suite (e.g. Debian
# unstable's QEMU, trixie's containerd) into a folder, without touching the system's apt state:
# a private apt directory holds its own sources, package lists, cache and an empty dpkg status,
# and packages are only unpacked (dpkg-deb -x), never installed or configured.
#
# Usage: scripts/apt-unpack.sh [-v] --suite SUITE --into DIR [--exclude PKG]... PKG...
#   --suite    Debian suite to take the packages from (sid, trixie, ...)
#   --into     the folder to create; it must not exist yet. Filled through a temporary sibling
#              renamed at the end, so a failed run leaves nothing half-written. DIR/PACKAGES
#              lists what was unpacked, one "name version" per line.
#   --exclude  leave this package out of the closure (may repeat)
#   -v         say what is happening (on stderr)
# Environment: MOCK_ACCEL_DEBIAN_MIRROR is the Debian archive to fetch from; by default the one
# the machine's own apt sources use (scripts/apt-archive.sh), so a mirror, proxy or local cache
# set up there is used.
set -euo pipefail

verbose=0
suite=""
into=""
excludes=()
pkgs=()
mirror="${MOCK_ACCEL_DEBIAN_MIRROR:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    -v|--verbose) verbose=1 ;;
    --suite) suite="$2"; shift ;;
    --into) into="$2"; shift ;;
    --exclude) excludes+=("$2"); shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "apt-unpack: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    *) pkgs+=("$1") ;;
  esac
  shift
done

say() { if [ "$verbose" = 1 ]; then echo "apt-unpack: $*" >&2; fi; }
die() { echo "apt-unpack: $*" >&2; exit 1; }

[ -n "$suite" ] || die "--suite is required (try --help)"
[ -n "$into" ] || die "--into is required (try --help)"
[ "${#pkgs[@]}" -gt 0 ] || die "no package named (try --help)"
[ ! -e "$into" ] || die "$into already exists; it is filled only when new"
command -v apt-get >/dev/null || die "apt-get is missing"
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring is missing: apt-get install debian-archive-keyring"
arch="$(dpkg --print-architecture)"
[ "$arch" = amd64 ] || die "only amd64 hosts are supported (this is $arch)"

if [ -z "$mirror" ]; then
  mirror="$(bash "$(dirname "$0")/apt-archive.sh" --debian)" \
    || die "no Debian archive to fetch $suite's packages from: set MOCK_ACCEL_DEBIAN_MIRROR to a Debian archive's URI"
fi
say "Debian archive: $mirror"

mkdir -p "$(dirname "$into")"
work="$(mktemp -d "${into}.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
aptdir="$work/apt"
mkdir -p "$aptdir/etc/sources.list.d" "$aptdir/etc/preferences.d" "$aptdir/etc/apt.conf.d" \
  "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/debs" "$work/root"
: > "$aptdir/status"
cat > "$aptdir/etc/sources.list.d/debian-$suite.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite
Components: main
Signed-By: $keyring
EOF

aptopts=(
  -o "Dir::Etc=$aptdir/etc"
  -o "Dir::Etc::sourcelist=/dev/null"
  -o "Dir::Etc::sourceparts=$aptdir/etc/sources.list.d"
  -o "Dir::Etc::preferencesparts=$aptdir/etc/preferences.d"
  -o "Dir::Etc::parts=$aptdir/etc/apt.conf.d"
  -o "Dir::State=$aptdir"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::State::status=$aptdir/status"
  -o "Dir::Cache=$aptdir/cache"
  -o "Dir::Cache::archives=$aptdir/cache/archives"
  -o "APT::Architecture=$arch"
  -o "APT::Architectures=$arch"
  -o "APT::Sandbox::User=root"
  -o "Debug::NoLocking=1"
)

say "apt-get update ($suite) in a private apt directory"
out="$(apt-get "${aptopts[@]}" update 2>&1)" || die "apt-get update for $suite failed:
$out"

say "resolving the dependency closure of ${pkgs[*]}"
closure="$(apt-cache "${aptopts[@]}" depends --recurse --no-recommends --no-suggests \
  --no-conflicts --no-breaks --no-replaces --no-enhances "${pkgs[@]}" 2>/dev/null \
  | grep -E '^[a-z0-9]' | grep -v '^<' | sort -u)" || true
[ -n "$closure" ] || die "could not resolve ${pkgs[*]} in Debian $suite"
for x in "${excludes[@]}"; do closure="$(grep -vx -- "$x" <<<"$closure" || true)"; done
# Virtual packages have no candidate; keep only what can be downloaded (one policy call: apt
# loads its cache once per invocation, which costs a second each).
# shellcheck disable=SC2086
mapfile -t real < <(apt-cache "${aptopts[@]}" policy $closure 2>/dev/null | awk '
  /^[^ ]/ { name = $1; sub(/:$/, "", name) }
  /^  Candidate:/ { if ($2 != "(none)") print name " " $2 }')
[ "${#real[@]}" -gt 0 ] || die "no downloadable package in the closure of ${pkgs[*]}"
for p in "${pkgs[@]}"; do
  printf '%s\n' "${real[@]}" | grep -q "^$p " || die "$p has no installable version in Debian $suite"
done
say "downloading ${#real[@]} packages"
(cd "$aptdir/debs" && apt-get "${aptopts[@]}" download "${real[@]%% *}" >/dev/null 2>"$aptdir/download.err") \
  || die "apt-get download failed: $(tail -5 "$aptdir/download.err")"

say "unpacking into $into"
for deb in "$aptdir"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done
printf '%s\n' "${real[@]}" > "$work/root/PACKAGES"
mv "$work/root" "$into"
