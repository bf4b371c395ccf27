package mockaccel

// A device's entry in a resource.k8s.io/v1 ResourceSlice, as the TypeScript client's
// toDeviceAttributes and dnsLabelName (packages/sysfs-client/src/dra-attributes.ts) give it:
// the same names, values and device names. Which sysfs attributes appear is the spec's dra:
// mapping (generated draValues); the identity ones come from the PCI layout and the
// device names.

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	resourceapi "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultDomain qualifies attribute names when the caller gives none.
const DefaultDomain = "mock-accel.example.com"

// PCIeRootAttribute is Kubernetes' standard attribute for the PCIe root complex (pci0000:10).
const PCIeRootAttribute resourceapi.QualifiedName = "resource.kubernetes.io/pcieRoot"

var (
	draName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)
	draDomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	notLabel  = regexp.MustCompile(`[^a-z0-9-]+`)
)

// DRAEntry is a device's attributes and capacity in a ResourceSlice.
type DRAEntry struct {
	Attributes map[resourceapi.QualifiedName]resourceapi.DeviceAttribute `json:"attributes"`
	Capacity   map[resourceapi.QualifiedName]resourceapi.DeviceCapacity  `json:"capacity"`
}

// draValue is one DRA value the spec maps, before its name is qualified.
type draValue struct {
	name     string
	attr     resourceapi.DeviceAttribute
	capacity *resourceapi.DeviceCapacity
}

func draInt(name string, v int64) draValue {
	return draValue{name: name, attr: resourceapi.DeviceAttribute{IntValue: &v}}
}

func draBool(name string, v bool) draValue {
	return draValue{name: name, attr: resourceapi.DeviceAttribute{BoolValue: &v}}
}

func draString(name string, v string) draValue {
	return draValue{name: name, attr: resourceapi.DeviceAttribute{StringValue: &v}}
}

func draVersion(name string, v SemVer) draValue {
	s := v.String()
	return draValue{name: name, attr: resourceapi.DeviceAttribute{VersionValue: &s}}
}

func (d *Device) draUint(attr AttributeName, name string, v uint64) (draValue, error) {
	if v > math.MaxInt64 {
		return draValue{}, d.rangeError(attr, v, "a DeviceAttribute int (at most 2^63-1)")
	}
	return draInt(name, int64(v)), nil
}

// draCapacity is a byte count as a binary quantity, printed canonically ("16Gi", "1536Mi").
func (d *Device) draCapacity(attr AttributeName, name string, bytes uint64) (draValue, error) {
	if bytes > math.MaxInt64 {
		return draValue{}, d.rangeError(attr, bytes, "a quantity (at most 2^63-1)")
	}
	return draValue{name: name, capacity: &resourceapi.DeviceCapacity{Value: *resource.NewQuantity(int64(bytes), resource.BinarySI)}}, nil
}

// DRAAttributes reads the attributes the spec maps to DRA and returns the ResourceSlice
// attributes and capacity for the device, names qualified by domain ("" means DefaultDomain).
// A mapping with bits: true (capabilities) also gives one bool per register field
// (<domain>/encryption), since CEL selectors cannot mask an int.
func (d *Device) DRAAttributes(domain string) (DRAEntry, error) {
	if domain == "" {
		domain = DefaultDomain
	}
	if len(domain) > resourceapi.DeviceMaxDomainLength || !draDomain.MatchString(domain) {
		return DRAEntry{}, fmt.Errorf("DRAAttributes: domain %q is not a DNS subdomain of at most 63 characters", domain)
	}
	q := func(name string) (resourceapi.QualifiedName, error) {
		if !draName.MatchString(name) {
			return "", fmt.Errorf("DRAAttributes: attribute name %q is not a C identifier of at most 32 characters", name)
		}
		return resourceapi.QualifiedName(domain + "/" + name), nil
	}
	values, err := d.draValues()
	if err != nil {
		return DRAEntry{}, err
	}
	identity := []draValue{draString("deviceType", string(d.Kind)), draString("pciAddress", d.PCIAddress)}
	if d.PF != nil {
		// physfn (the PF's class device name) is the old mock-device driver's attribute,
		// kept for claims written against it; physFn (its PCI address) is unique per node.
		identity = append(identity, draString("physFn", d.PF.PCIAddress))
		if d.PF.Name != "" {
			identity = append(identity, draString("physfn", d.PF.Name))
		}
	}
	pcieRoot := d.PCIeRoot
	out := DRAEntry{
		Attributes: map[resourceapi.QualifiedName]resourceapi.DeviceAttribute{PCIeRootAttribute: {StringValue: &pcieRoot}},
		Capacity:   map[resourceapi.QualifiedName]resourceapi.DeviceCapacity{},
	}
	for _, v := range append(identity, values...) {
		name, err := q(v.name)
		if err != nil {
			return DRAEntry{}, err
		}
		if v.capacity != nil {
			out.Capacity[name] = *v.capacity
		} else {
			out.Attributes[name] = v.attr
		}
	}
	return out, nil
}

// ResourceSliceDevice is the device's entry in a ResourceSlice: its DNS-label name, attributes
// and capacity.
func (d *Device) ResourceSliceDevice(domain string) (resourceapi.Device, error) {
	name, err := DNSLabelName(d.Name)
	if err != nil {
		return resourceapi.Device{}, err
	}
	e, err := d.DRAAttributes(domain)
	if err != nil {
		return resourceapi.Device{}, err
	}
	return resourceapi.Device{Name: name, Attributes: e.Attributes, Capacity: e.Capacity}, nil
}

// DNSLabelName is a DNS label (RFC 1123) for a class device name, as ResourceSlice device names
// require: mock0_vf0 -> mock0-vf0.
func DNSLabelName(name string) (string, error) {
	label := notLabel.ReplaceAllString(strings.ToLower(name), "-")
	if len(label) > 63 {
		label = label[:63]
	}
	label = strings.Trim(label, "-")
	if label == "" {
		return "", fmt.Errorf("DNSLabelName: %q has no character usable in a DNS label", name)
	}
	return label, nil
}

// DefaultDomainQualified is name under DefaultDomain: mock-accel.example.com/encryption.
func DefaultDomainQualified(name string) resourceapi.QualifiedName {
	return resourceapi.QualifiedName(DefaultDomain + "/" + name)
}
