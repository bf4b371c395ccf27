#!/usr/bin/env bash
# Print the URI of the apt archive this machine installs its distribution from: the source
# entry (one-line sources.list or deb822 *.sources, as apt itself reads them) whose suite is
# the machine's codename and whose component is main. A mirror, a caching proxy or a local
# archive the user has set up is used as it is; the installers never name an archive host.
#
# Usage: scripts/apt-archive.sh [--debian]
#   --debian   the archive must be Debian's (to fetch a package from Debian unstable), so
#              refuse on a distribution that is not Debian itself
# stdout: the URI, one line. stderr: why not (the callers name their override); exit status 1.
#
# Environment: MOCK_ACCEL_OS_RELEASE (the os-release file, default /etc/os-release),
# APT_CONFIG (apt's own: a config file naming other sources, which the tests use).
set -euo pipefail

want_debian=0
for a in "$@"; do
  case "$a" in
    --debian) want_debian=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "apt-archive: unknown argument '$a' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "apt-archive: $*" >&2; exit 1; }

os_release="${MOCK_ACCEL_OS_RELEASE:-/etc/os-release}"
[[ -r "$os_release" ]] || die "no $os_release; cannot tell the distribution"
# Read in a subshell so os-release's variables do not leak into this script's.
read -r id codename < <(
  # shellcheck disable=SC1090
  . "$os_release"
  echo "${ID:-unknown} ${VERSION_CODENAME:-}"
)
if [[ "$want_debian" = 1 && "$id" != debian ]]; then
  die "this is not Debian ($id), so its apt sources name no Debian archive"
fi
command -v apt-get >/dev/null || die "apt-get is missing"

# Debian testing and unstable machines may name their suite rather than the codename.
suites=("$codename")
[[ "$id" = debian ]] && suites+=(sid unstable testing stable)

targets="$(apt-get indextargets --no-release-info --format '$(RELEASE) $(COMPONENT) $(SITE)' 2>/dev/null)" \
  || die "apt-get indextargets failed; cannot read the apt sources"
for suite in "${suites[@]}"; do
  [[ -n "$suite" ]] || continue
  uri="$(awk -v s="$suite" '$1 == s && $2 == "main" { print $3; exit }' <<<"$targets")"
  if [[ -n "$uri" ]]; then
    echo "${uri%/}"
    exit 0
  fi
done
die "no apt source for suite '${codename:-?}' with component main in this machine's apt configuration"
