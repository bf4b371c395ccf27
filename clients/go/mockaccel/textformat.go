package mockaccel

// The kernel's text formats (spec formats decimal, hex32, uuid, semver, enum, string, bool):
// parse exactly what the driver's show functions print, nothing looser, so a malformed file
// is an error and never a silent zero. Mirrors the generated TypeScript helpers
// (packages/codegen/src/emit/ts-client-runtime.ts).

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// SemVer is a semver-format attribute: M.m.p from a register's MAJOR, MINOR and PATCH fields.
type SemVer struct {
	Major uint32 `json:"major"`
	Minor uint32 `json:"minor"`
	Patch uint32 `json:"patch"`
}

func (v SemVer) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

var (
	decimalText = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)
	signedText  = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)
	hex32Text   = regexp.MustCompile(`^0x[0-9a-f]{8}$`)
	uuidText    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	semverText  = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	pciAddrText = regexp.MustCompile(`^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$`)
	rootComplex = regexp.MustCompile(`^pci[0-9a-f]{4}:[0-9a-f]{2}$`)
)

// lineBody drops the one newline every show ends with; anything else is part of the value.
func lineBody(text string) string { return strings.TrimSuffix(text, "\n") }

// parseUnsigned: %u/%llu, digits only, no sign, no leading zeros, at most max.
func parseUnsigned(text string, max uint64) (uint64, bool) {
	body := lineBody(text)
	if !decimalText.MatchString(body) {
		return 0, false
	}
	v, err := strconv.ParseUint(body, 10, 64)
	if err != nil || v > max {
		return 0, false
	}
	return v, true
}

func parseU32(text string, max uint32) (uint32, bool) {
	v, ok := parseUnsigned(text, uint64(max))
	return uint32(v), ok
}

// parseS32: %d.
func parseS32(text string) (int32, bool) {
	body := lineBody(text)
	if !signedText.MatchString(body) {
		return 0, false
	}
	v, err := strconv.ParseInt(body, 10, 32)
	return int32(v), err == nil
}

// parseHex32: 0x%08x, exactly eight lower-case hex digits.
func parseHex32(text string, max uint32) (uint32, bool) {
	body := lineBody(text)
	if !hex32Text.MatchString(body) {
		return 0, false
	}
	v, err := strconv.ParseUint(body[2:], 16, 32)
	if err != nil || uint32(v) > max {
		return 0, false
	}
	return uint32(v), true
}

// parseUUID: %pUb, canonical lower-case 8-4-4-4-12.
func parseUUID(text string) (string, bool) {
	body := lineBody(text)
	return body, uuidText.MatchString(body)
}

// parseSemver: %u.%u.%u, each part within its field's width.
func parseSemver(text string, max SemVer) (SemVer, bool) {
	m := semverText.FindStringSubmatch(lineBody(text))
	if m == nil {
		return SemVer{}, false
	}
	var parts [3]uint32
	for i, limit := range []uint32{max.Major, max.Minor, max.Patch} {
		v, err := strconv.ParseUint(m[i+1], 10, 32)
		if err != nil || uint32(v) > limit {
			return SemVer{}, false
		}
		parts[i] = uint32(v)
	}
	return SemVer{Major: parts[0], Minor: parts[1], Patch: parts[2]}, true
}

// parseLine: a string register as stored up to its first NUL, one line, at most maxLen bytes.
func parseLine(text string, maxLen int) (string, bool) {
	body := lineBody(text)
	return body, len(body) <= maxLen && !strings.ContainsAny(body, "\n\x00")
}

func parseBool(text string) (bool, bool) {
	switch lineBody(text) {
	case "1":
		return true, true
	case "0":
		return false, true
	}
	return false, false
}

func formatUnsigned[T uint32 | uint64](v T) string { return strconv.FormatUint(uint64(v), 10) + "\n" }
func formatSigned(v int32) string                  { return strconv.FormatInt(int64(v), 10) + "\n" }
func formatHex32(v uint32) string                  { return fmt.Sprintf("0x%08x\n", v) }
func formatUUID(v string) string                   { return strings.ToLower(v) + "\n" }
func formatSemver(v SemVer) string                 { return v.String() + "\n" }
func formatLine(v string) string                   { return v + "\n" }

func formatBool(v bool) string {
	if v {
		return "1\n"
	}
	return "0\n"
}
