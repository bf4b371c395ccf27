#!/usr/bin/env bash
# Install libvfio-user where the mock-accel device server finds it.
#
# 1. An installed libvfio-user (pkg-config or ldconfig) is used as it is.
# 2. Otherwise, on Debian or Ubuntu, it is built from the source that ships inside the
#    distribution's `qemu` source package (folder subprojects/libvfio-user): a private apt
#    directory with a deb-src entry for the system's suites (the system's apt state is not
#    touched), `apt-get source --download-only qemu`, extract only that folder, meson +
#    ninja, install into "$CACHE/libvfio-user". Its samples are built too and
#    gpio-pci-idio-16 is copied to "$CACHE/libvfio-user/bin" (the benchmark's C peer).
#
# stdout: one line, the prefix (so `prefix=$(scripts/install-libvfio-user.sh)` works).
# stderr: progress, only when there is work to do. Exit status non-zero on failure.
#
# Environment: XDG_CACHE_HOME (cache root, default ~/.cache), MOCK_ACCEL_CACHE (overrides the
# cache dir), MOCK_ACCEL_DEB_MIRROR (archive URI for the deb-src entry; by default the archive
# the machine's own apt sources use for its suite, found by scripts/apt-archive.sh),
# MOCK_ACCEL_FORCE_BUILD=1 (build even when a system libvfio-user exists), MOCK_ACCEL_OS_RELEASE
# (the os-release file to read, default /etc/os-release; tests use it).
set -euo pipefail

CACHE="${MOCK_ACCEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mock-accel}"
PREFIX="$CACHE/libvfio-user"
STAMP="$PREFIX/.mock-accel-installed"

say() { echo "install-libvfio-user: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- 1. already there? -----------------------------------------------------------------
if [[ -f "$STAMP" && -e "$PREFIX/lib/libvfio-user.so.0" && -x "$PREFIX/bin/gpio-pci-idio-16" ]]; then
  echo "$PREFIX"
  exit 0
fi
if [[ "${MOCK_ACCEL_FORCE_BUILD:-0}" != 1 ]]; then
  if command -v pkg-config >/dev/null && pkg-config --exists libvfio-user 2>/dev/null; then
    pkg-config --variable=prefix libvfio-user
    exit 0
  fi
  if command -v ldconfig >/dev/null && ldconfig -p 2>/dev/null | grep -q 'libvfio-user\.so\.0 '; then
    dirname "$(dirname "$(ldconfig -p | awk '/libvfio-user\.so\.0 / { print $NF; exit }')")"
    exit 0
  fi
fi

# --- 2. build from the distribution's qemu source package ---------------------------------
OS_RELEASE="${MOCK_ACCEL_OS_RELEASE:-/etc/os-release}"
[[ -r "$OS_RELEASE" ]] || die "no $OS_RELEASE; cannot tell the distribution. Build libvfio-user from https://github.com/nutanix/libvfio-user (meson setup build && ninja -C build install) and set LIBVFIO_USER_PATH to its libvfio-user.so.0"
# shellcheck disable=SC1090
. "$OS_RELEASE"
case "${ID:-} ${ID_LIKE:-}" in
  *debian*|*ubuntu*) ;;
  *) die "only Debian and Ubuntu are handled (this is ${PRETTY_NAME:-unknown}). Build libvfio-user from https://github.com/nutanix/libvfio-user (meson setup build && ninja -C build install) and set LIBVFIO_USER_PATH to its libvfio-user.so.0" ;;
esac
CODENAME="${VERSION_CODENAME:-}"
[[ -n "$CODENAME" ]] || die "/etc/os-release has no VERSION_CODENAME; cannot pick the deb-src suites"
if [[ "${ID:-}" == ubuntu || "${ID_LIKE:-}" == *ubuntu* ]]; then
  SUITES="$CODENAME $CODENAME-updates $CODENAME-security"
  COMPONENTS="main universe"
  KEYRING=/usr/share/keyrings/ubuntu-archive-keyring.gpg
else
  SUITES="$CODENAME $CODENAME-updates"
  COMPONENTS="main"
  KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
fi

# Build tools. Installed only when missing, and only as root; otherwise say what to run.
NEED_PKGS=()
command -v meson >/dev/null || NEED_PKGS+=(meson)
command -v ninja >/dev/null || NEED_PKGS+=(ninja-build)
command -v pkg-config >/dev/null || NEED_PKGS+=(pkg-config)
command -v cc >/dev/null || NEED_PKGS+=(gcc)
command -v xz >/dev/null || NEED_PKGS+=(xz-utils)
pkg-config --exists json-c 2>/dev/null || NEED_PKGS+=(libjson-c-dev)
pkg-config --exists cmocka 2>/dev/null || NEED_PKGS+=(libcmocka-dev)
if ((${#NEED_PKGS[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing build dependencies: ${NEED_PKGS[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${NEED_PKGS[@]}" >&2 \
      || die "apt-get install ${NEED_PKGS[*]} failed"
  else
    die "missing build dependencies; run: sudo apt-get install -y ${NEED_PKGS[*]}"
  fi
fi

APT_DIR="$CACHE/apt"
SRC_DIR="$CACHE/src"
mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$SRC_DIR"
: >"$APT_DIR/status"
APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
  -o "Dir::State::Lists=$APT_DIR/lists"
  -o "Dir::Cache=$APT_DIR/cache"
  -o "Dir::State::status=$APT_DIR/status"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=$(id -un)"
)

if ! ls "$SRC_DIR"/qemu_*.orig.tar.* >/dev/null 2>&1; then
  # The archive the machine already installs from: its mirror, proxy or local cache.
  MIRROR="${MOCK_ACCEL_DEB_MIRROR:-}"
  if [[ -z "$MIRROR" ]]; then
    MIRROR="$(MOCK_ACCEL_OS_RELEASE="$OS_RELEASE" bash "$(dirname "$0")/apt-archive.sh")" \
      || die "set MOCK_ACCEL_DEB_MIRROR to the URI of a ${ID:-} archive that has $CODENAME's source packages"
  fi
  {
    echo "Types: deb-src"
    echo "URIs: $MIRROR"
    echo "Suites: $SUITES"
    echo "Components: $COMPONENTS"
    [[ -r "$KEYRING" ]] && echo "Signed-By: $KEYRING"
  } >"$APT_DIR/sources.list.d/mock-accel-src.sources"
  say "fetching the qemu source package index ($MIRROR $SUITES)"
  apt-get "${APT_OPTS[@]}" -qq update >&2 || die "apt-get update of the private deb-src list failed"
  say "downloading the qemu source package (about 23 MB) into $SRC_DIR"
  (cd "$SRC_DIR" && apt-get "${APT_OPTS[@]}" -qq source --download-only qemu >&2) \
    || die "apt-get source --download-only qemu failed"
fi
ORIG=$(ls "$SRC_DIR"/qemu_*.orig.tar.* | sort -V | tail -n 1)
[[ -f "$ORIG" ]] || die "no qemu orig tarball in $SRC_DIR"

WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
say "extracting subprojects/libvfio-user from $(basename "$ORIG")"
tar -xf "$ORIG" -C "$WORK" --wildcards '*/subprojects/libvfio-user/*' \
  || die "$(basename "$ORIG") has no subprojects/libvfio-user"
LVU_SRC=$(find "$WORK" -maxdepth 3 -type d -path '*/subprojects/libvfio-user' | head -n 1)
[[ -n "$LVU_SRC" && -f "$LVU_SRC/meson.build" ]] || die "subprojects/libvfio-user/meson.build not found in $(basename "$ORIG")"

say "building libvfio-user (meson + ninja)"
STAGE="$WORK/prefix"
meson setup "$WORK/build" "$LVU_SRC" --prefix="$PREFIX" --libdir=lib --buildtype=release >"$WORK/meson.log" 2>&1 \
  || { cat "$WORK/meson.log" >&2; die "meson setup failed"; }
# Only the library and the one sample: its unit tests and other samples double the build time.
TARGETS=$(ninja -C "$WORK/build" -t targets all | sed -n 's/^\(lib\/libvfio-user\.so[.0-9]*\): .*/\1/p')
[[ -n "$TARGETS" ]] || die "no libvfio-user library target in the meson build"
# shellcheck disable=SC2086
ninja -C "$WORK/build" $TARGETS samples/gpio-pci-idio-16 >"$WORK/ninja.log" 2>&1 || { cat "$WORK/ninja.log" >&2; die "ninja build failed"; }
DESTDIR="$STAGE" meson install -C "$WORK/build" --no-rebuild >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log" >&2; die "meson install failed"; }
SAMPLE="$WORK/build/samples/gpio-pci-idio-16"
[[ -x "$SAMPLE" ]] || die "the gpio-pci-idio-16 sample was not built ($SAMPLE)"
mkdir -p "$STAGE$PREFIX/bin"
cp "$SAMPLE" "$STAGE$PREFIX/bin/"
basename "$ORIG" >"$STAGE$PREFIX/.mock-accel-installed"

# Swap in the finished tree only now, so a failed build never leaves a half-installed prefix.
rm -rf "$PREFIX.old"
[[ -e "$PREFIX" ]] && mv "$PREFIX" "$PREFIX.old"
mv "$STAGE$PREFIX" "$PREFIX"
rm -rf "$PREFIX.old"
say "installed into $PREFIX"
echo "$PREFIX"
