#!/usr/bin/env bash
# Everything mock-accel needs on a Debian/Ubuntu host, idempotent and quiet when done:
# apt packages (as root; otherwise prints the command), libvfio-user (built from Debian's qemu
# source), a QEMU with vfio-user-pci (Debian unstable's, unpacked into a private prefix).
# Used by `mock-accel demo` and by .ci/run.
#   scripts/setup-host.sh [--no-qemu] [-v]
set -euo pipefail
cd "$(dirname "$0")/.."

with_qemu=1
verbose=0
for a in "$@"; do
  case "$a" in
    --no-qemu) with_qemu=0 ;;
    -v|--verbose) verbose=1 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup-host: unknown argument '$a'" >&2; exit 2 ;;
  esac
done

# Build tools for libvfio-user and the kernel module; guest tools for the in-VM tests; for
# Kubernetes nodes in VMs: mkfs.ext4 -d for their root disks, socat for QEMU's guest forwards,
# umoci to pack their container images, patchelf so the images' test runs trixie's runc here.
PACKAGES=(ca-certificates xz-utils dpkg-dev gcc make libc6-dev pkg-config
  meson ninja-build libjson-c-dev libcmocka-dev
  qemu-system-x86 busybox-static cpio linux-headers-amd64 sparse dkms openssl
  e2fsprogs socat umoci patchelf)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup-host: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup-host: missing packages; run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
elif [ "$verbose" = 1 ]; then
  echo "setup-host: apt packages present" >&2
fi

bash scripts/install-libvfio-user.sh >/dev/null
if [ "$with_qemu" = 1 ]; then
  if [ "$verbose" = 1 ]; then bash scripts/install-qemu-vfio-user.sh -v >/dev/null; else bash scripts/install-qemu-vfio-user.sh >/dev/null; fi
fi
