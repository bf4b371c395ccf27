#!/usr/bin/env bash
# Find a QEMU that offers `vfio-user-pci` (QEMU >= 10.1); otherwise fetch Debian unstable's
# qemu-system-x86 and its library closure into a private prefix and write a wrapper that runs
# it there. Prints the path of a usable qemu-system-x86_64 on stdout, nothing else.
#
# The system's apt state is never touched: a private apt directory holds its own sources,
# package lists, cache and an empty dpkg status, and packages are only unpacked (dpkg-deb -x).
#
# Usage: scripts/install-qemu-vfio-user.sh [-v] [--prefix DIR] [--force]
#   -v         say what is happening (on stderr)
#   --prefix   where to unpack (default: $MOCK_ACCEL_CACHE/qemu-vfio-user, MOCK_ACCEL_CACHE
#              defaulting to ~/.cache/mock-accel)
#   --force    ignore any QEMU already found and refetch
# Environment: QEMU=/path/to/qemu-system-x86_64 is tried first. MOCK_ACCEL_DEBIAN_MIRROR is the
# Debian archive to fetch from; by default the one the machine's own apt sources use for its
# suite (scripts/apt-archive.sh), so a mirror, proxy or local cache set up there is used.
# MOCK_ACCEL_QEMU_SUITE is the suite (default sid).
set -euo pipefail

verbose=0
force=0
cache="${MOCK_ACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mock-accel}"
prefix="$cache/qemu-vfio-user"
suite="${MOCK_ACCEL_QEMU_SUITE:-sid}"
mirror="${MOCK_ACCEL_DEBIAN_MIRROR:-}"

while [ $# -gt 0 ]; do
  case "$1" in
    -v|--verbose) verbose=1 ;;
    --prefix) prefix="$2"; shift ;;
    --prefix=*) prefix="${1#--prefix=}" ;;
    --force) force=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-qemu-vfio-user: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { if [ "$verbose" = 1 ]; then echo "install-qemu-vfio-user: $*" >&2; fi; }
die() { echo "install-qemu-vfio-user: $*" >&2; exit 1; }

# `-device help` aborts when the system's own QEMU modules are installed next to a foreign
# build (it tries to load them), so ask about the one device only.
has_vfio_user() {
  local q="$1"
  [ -x "$q" ] || return 1
  "$q" -device vfio-user-pci,help </dev/null 2>/dev/null | grep -q 'socket'
}

wrapper="$prefix/bin/qemu-system-x86_64"
if [ "$force" = 0 ]; then
  for q in "${QEMU:-}" "$wrapper" "$(command -v qemu-system-x86_64 2>/dev/null || true)"; do
    [ -n "$q" ] || continue
    if has_vfio_user "$q"; then
      say "using $q"
      echo "$q"
      exit 0
    fi
    say "$q has no vfio-user-pci"
  done
fi

command -v apt-get >/dev/null || die "no QEMU with vfio-user-pci found and apt-get is missing: install QEMU >= 10.1 (qemu-system-x86) and set QEMU=/path/to/qemu-system-x86_64"
if [ -z "$mirror" ]; then
  mirror="$(bash "$(dirname "$0")/apt-archive.sh" --debian)" \
    || die "no Debian archive to fetch $suite's qemu-system-x86 from: set MOCK_ACCEL_DEBIAN_MIRROR to a Debian archive's URI, or install QEMU >= 10.1 and set QEMU=/path/to/qemu-system-x86_64"
fi

# Unpack into a temporary sibling and rename at the end, so a failed run leaves nothing
# half-written where the wrapper is looked for.
mkdir -p "$(dirname "$prefix")"
work="$(mktemp -d "${prefix}.tmp.XXXXXX")"
trap 'rm -rf "$work"' EXIT
MOCK_ACCEL_DEBIAN_MIRROR="$mirror" bash "$(dirname "$0")/apt-unpack.sh" $([ "$verbose" = 1 ] && echo -v) \
  --suite "$suite" --into "$work/root" qemu-system-x86 \
  || die "could not fetch Debian $suite's qemu-system-x86"

root="$work/root"
[ -x "$root/usr/bin/qemu-system-x86_64" ] || die "the unpacked qemu-system-x86 has no usr/bin/qemu-system-x86_64"
[ -e "$root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] || die "the closure has no dynamic loader (libc6)"
mkdir -p "$root/bin"
# The wrapper runs the prefix's own loader and libraries (sid's glibc is newer than the host's)
# and points QEMU at the prefix's firmware. Paths resolve from the wrapper's location, so the
# prefix can be moved.
cat > "$root/bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# Written by mock-accel scripts/install-qemu-vfio-user.sh: Debian's qemu-system-x86 run from
# this private prefix with its own loader and libraries.
p="$(cd "$(dirname "$0")/.." && pwd)"
lib="$p/usr/lib/x86_64-linux-gnu"
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib:$p/lib/x86_64-linux-gnu" \
  "$p/usr/bin/qemu-system-x86_64" -L "$p/usr/share/qemu" -L "$p/usr/share/seabios" "$@"
EOF
chmod 755 "$root/bin/qemu-system-x86_64"

has_vfio_user "$root/bin/qemu-system-x86_64" \
  || die "the fetched QEMU does not offer vfio-user-pci ($("$root/bin/qemu-system-x86_64" --version 2>&1 | head -1))"

rm -rf "$prefix.old"
if [ -e "$prefix" ]; then mv "$prefix" "$prefix.old"; fi
mv "$root" "$prefix"
rm -rf "$prefix.old"
say "$("$wrapper" --version | head -1)"
echo "$wrapper"
