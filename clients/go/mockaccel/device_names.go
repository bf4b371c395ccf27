package mockaccel

import (
	"regexp"
	"strconv"
	"strings"
)

// Class device (and /dev node) names, from the spec's sysfs.device_names templates: the same
// rule the driver's MOCK_ACCEL_PF_NAME_FMT / MOCK_ACCEL_VF_NAME_FMT and the TypeScript client's
// pfDeviceName / vfDeviceName follow.

// PFDeviceName is the name the driver gives PF number pf (0, 1, ... in probe order): mock0.
func PFDeviceName(pf int) string {
	return strings.Replace(PFNameTemplate, "{pf}", strconv.Itoa(pf), 1)
}

// VFDeviceName is the name the driver gives VF vf (its VF_INDEX) of PF number pf: mock0_vf1.
func VFDeviceName(pf, vf int) string {
	return strings.Replace(strings.Replace(VFNameTemplate, "{pf}", strconv.Itoa(pf), 1), "{vf}", strconv.Itoa(vf), 1)
}

var (
	pfNamePattern = namePattern(PFNameTemplate)
	vfNamePattern = namePattern(VFNameTemplate)
)

func namePattern(template string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		b.WriteString(regexp.QuoteMeta(rest[:i]))
		b.WriteString("(0|[1-9][0-9]*)")
		rest = rest[i+j+1:]
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// ParseDeviceName gives the PF number and VF index (-1 for a PF) of a name the driver gives;
// ok is false for any other name.
func ParseDeviceName(name string) (pf, vf int, ok bool) {
	if m := vfNamePattern.FindStringSubmatch(name); m != nil {
		pf, _ = strconv.Atoi(m[1])
		vf, _ = strconv.Atoi(m[2])
		return pf, vf, true
	}
	if m := pfNamePattern.FindStringSubmatch(name); m != nil {
		pf, _ = strconv.Atoi(m[1])
		return pf, -1, true
	}
	return 0, 0, false
}
