package mockaccel

import (
	"crypto/sha1"
	"encoding/hex"
	"regexp"
	"strings"
)

// The one rule that turns a label into a device UUID, shared with the device server, topology
// files and the TypeScript fake (uuidFromLabelOrCanonical in @mock-accel/sysfs-client): a
// canonical UUID is taken as is (lower-cased); any other non-empty label is the RFC 4122
// version-5 UUID of the label in the name space MockAccelUUIDNamespace.

var canonicalUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// rfc4122DNSNamespace is RFC 4122 appendix C's name space for fully-qualified domain names.
const rfc4122DNSNamespace = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"

// MockAccelUUIDNamespace is the version-5 UUID of the DNS name "mock-accel.invalid".
var MockAccelUUIDNamespace = uuidV5(rfc4122DNSNamespace, "mock-accel.invalid")

func uuidBytes(canonical string) []byte {
	b, _ := hex.DecodeString(strings.ReplaceAll(canonical, "-", ""))
	return b
}

func formatUUIDBytes(b []byte) string {
	x := hex.EncodeToString(b)
	return strings.Join([]string{x[0:8], x[8:12], x[12:16], x[16:20], x[20:32]}, "-")
}

// uuidV5 is the RFC 4122 version-5 (SHA-1, name-based) UUID of name in namespace.
func uuidV5(namespace, name string) string {
	h := sha1.New()
	h.Write(uuidBytes(namespace))
	h.Write([]byte(name))
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUIDBytes(b)
}

// UUIDFromLabel gives the canonical UUID of a canonical UUID or a label; ok is false for "".
func UUIDFromLabel(label string) (uuid string, ok bool) {
	if canonicalUUID.MatchString(label) {
		return strings.ToLower(label), true
	}
	if label == "" {
		return "", false
	}
	return uuidV5(MockAccelUUIDNamespace, label), true
}
