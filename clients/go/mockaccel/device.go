// Package mockaccel finds mock-accel accelerators in sysfs and reads and writes their
// attributes with the types spec/registers.yaml gives them, for DRA drivers written in Go.
//
// The attribute accessors, the attribute table, the PCI IDs and the spec defaults are
// generated (zz_generated_spec.go, `bun run codegen`); this file and the other hand-written
// ones hold what is not a spec fact: the kernel's sysfs layout, file I/O and text formats.
package mockaccel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Kind is a PCI function's role.
type Kind string

const (
	// KindPF is a physical function (mock<N>).
	KindPF Kind = "pf"
	// KindVF is a virtual function (mock<N>_vf<I>).
	KindVF Kind = "vf"
)

// DevDir is where the kernel driver's character devices appear.
const DevDir = "/dev"

// PFRef names a VF's physical function: function 0 of the VF's slot.
type PFRef struct {
	// Name is the PF's class device name; empty when the PF has no class entry.
	Name       string `json:"name"`
	PCIAddress string `json:"pciAddress"`
}

// Device is one mock-accel PCI function as the kernel driver shows it. Identity comes from the
// PCI function directory at discovery; attributes are read and written on demand (they change).
type Device struct {
	// Name is the class device name: mock0, mock0_vf1.
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// PCIAddress is the function's address, 0000:11:00.0.
	PCIAddress string `json:"pciAddress"`
	// NUMA is the PCI function's numa_node; -1 when the platform has no NUMA information.
	NUMA      int    `json:"numaNode"`
	VendorID  uint16 `json:"vendorId"`
	DeviceID  uint16 `json:"deviceId"`
	ClassCode uint32 `json:"classCode"`
	// PCIeRoot is the root complex of the PCI path, pci0000:10 (resource.kubernetes.io/pcieRoot).
	PCIeRoot string `json:"pcieRoot"`
	// Index is a VF's index under its PF; -1 on a PF.
	Index int `json:"vfIndex"`
	// PF is a VF's physical function; nil on a PF.
	PF *PFRef `json:"pf"`
	// Path is the class device directory (real path), where the attribute files are.
	Path string `json:"path"`
	// PCIPath is the PCI function directory (real path) under <root>/devices.
	PCIPath string `json:"pciPath"`
}

// MarshalJSON gives the TypeScript client's MockAccelDevice.toJSON() shape, so the two clients'
// views compare as plain JSON: vfIndex is null on a PF, a VF's pf.name null when the PF has no
// class entry.
func (d Device) MarshalJSON() ([]byte, error) {
	type pfJSON struct {
		Name       *string `json:"name"`
		PCIAddress string  `json:"pciAddress"`
	}
	var vfIndex *int
	var pf *pfJSON
	if d.Kind == KindVF {
		vfIndex = &d.Index
	}
	if d.PF != nil {
		pf = &pfJSON{PCIAddress: d.PF.PCIAddress}
		if d.PF.Name != "" {
			pf.Name = &d.PF.Name
		}
	}
	type plain Device // without this method
	return json.Marshal(struct {
		plain
		VFIndex *int    `json:"vfIndex"`
		PF      *pfJSON `json:"pf"`
	}{plain(d), vfIndex, pf})
}

// DevicePath is the driver's character device for this function, /dev/<name>: the path a
// container runtime must be handed, whatever sysfs root the device was found under.
func (d *Device) DevicePath() string { return DevDir + "/" + d.Name }

// Has reports whether the driver shows attribute name on this function (its is_visible).
func (d *Device) Has(name AttributeName) bool {
	s, ok := AttributeByName(name)
	return ok && (s.Functions == "all" || s.Functions == string(d.Kind))
}

// AttributeByName is the spec's entry for one attribute.
func AttributeByName(name AttributeName) (AttributeSpec, bool) {
	for _, s := range Attributes {
		if s.Name == name {
			return s, true
		}
	}
	return AttributeSpec{}, false
}

// AttributeSpec is one sysfs attribute as spec/registers.yaml describes it.
type AttributeSpec struct {
	Name AttributeName
	// Mode is the file mode the driver gives the file, e.g. 0o644.
	Mode      os.FileMode
	Readable  bool
	Writable  bool
	Functions string // all, pf or vf
	// Format is the spec's text format: decimal, hex32, uuid, semver, enum, string or bool.
	Format string
	// DRA is how the attribute appears in a ResourceSlice; nil when it does not.
	DRA *DRAMapping
	// Choices are an enum attribute's value names, in the spec's order.
	Choices []string
	// Reset is the text after a device reset (the register's constant reset); "" when none.
	Reset       string
	Description string
}

// DRAMapping is the spec's dra: entry of an attribute.
type DRAMapping struct {
	Kind string // attribute or capacity
	Name string
	// AlsoAttribute, on a capacity, is the int attribute that also carries the value
	// (spec attribute: beside capacity:); "" when none.
	AlsoAttribute string
	// Bits are the register fields published as bool attributes (spec bits: true).
	Bits []DRABit
}

// DRABit is one single-bit register field published as a bool DRA attribute.
type DRABit struct {
	Field string
	Name  string
	Mask  uint32
}

// Errors wrapped by AttributeError, for errors.Is.
var (
	// ErrParse: the file's text is not what the attribute's format allows.
	ErrParse = errors.New("cannot parse")
	// ErrOutOfRange: a value a setter refused before touching the file.
	ErrOutOfRange = errors.New("out of range")
	// ErrNotShown: the driver does not show the attribute on this kind of function, or it is write-only.
	ErrNotShown = errors.New("not shown")
)

// AttributeError is a failed read, parse or write of one attribute file. It names the file and,
// for a parse failure, the text exactly as read.
type AttributeError struct {
	Attribute AttributeName
	Path      string
	// Raw is the text read from the file (parse failures) or the value refused (writes).
	Raw    string
	Reason string
	Err    error
}

func (e *AttributeError) Error() string { return e.Path + ": " + e.Reason }
func (e *AttributeError) Unwrap() error { return e.Err }

func (d *Device) attributeFile(name AttributeName, wantWrite bool) (AttributeSpec, string, error) {
	path := filepath.Join(d.Path, string(name))
	s, ok := AttributeByName(name)
	if !ok {
		return s, path, &AttributeError{Attribute: name, Path: path, Reason: fmt.Sprintf("attribute '%s' is not in spec/registers.yaml", name), Err: ErrNotShown}
	}
	if !d.Has(name) {
		return s, path, &AttributeError{Attribute: name, Path: path, Reason: fmt.Sprintf("attribute '%s' is %s-only, this is a %s", name, s.Functions, d.Kind), Err: ErrNotShown}
	}
	if wantWrite && !s.Writable || !wantWrite && !s.Readable {
		return s, path, &AttributeError{Attribute: name, Path: path, Reason: fmt.Sprintf("attribute '%s' has mode %04o", name, uint32(s.Mode)), Err: ErrNotShown}
	}
	return s, path, nil
}

// readText reads an attribute file's text as the kernel shows it.
func (d *Device) readText(name AttributeName) (string, error) {
	_, path, err := d.attributeFile(name, false)
	if err != nil {
		return "", err
	}
	b, err := readBounded(path)
	if err != nil {
		return "", &AttributeError{Attribute: name, Path: path, Reason: fmt.Sprintf("reading attribute '%s': %v", name, unwrapPathError(err)), Err: err}
	}
	return string(b), nil
}

func (d *Device) parseError(name AttributeName, raw string) error {
	s, _ := AttributeByName(name)
	return &AttributeError{
		Attribute: name,
		Path:      filepath.Join(d.Path, string(name)),
		Raw:       raw,
		Reason:    fmt.Sprintf("cannot parse %q as %s (attribute '%s')", raw, s.Format, name),
		Err:       ErrParse,
	}
}

func (d *Device) rangeError(name AttributeName, value any, want string) error {
	return &AttributeError{
		Attribute: name,
		Path:      filepath.Join(d.Path, string(name)),
		Raw:       fmt.Sprint(value),
		Reason:    fmt.Sprintf("%v is not a valid '%s': want %s (nothing written)", value, name, want),
		Err:       ErrOutOfRange,
	}
}

// checkWritable refuses before any range check when the function has no such writable file.
func (d *Device) checkWritable(name AttributeName) error {
	_, _, err := d.attributeFile(name, true)
	return err
}

// writeText writes text the way `echo > attr` does: O_TRUNC, never O_CREAT.
func (d *Device) writeText(name AttributeName, text string) error {
	_, path, err := d.attributeFile(name, true)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		return &AttributeError{Attribute: name, Path: path, Raw: text, Reason: fmt.Sprintf("write of %q to '%s' rejected: %v", text, name, unwrapPathError(err)), Err: err}
	}
	// Real sysfs refuses a write-bit-less file at open() even for root; a fake tree is plain
	// files root could write anyway, so check the mode the way kernfs does.
	st, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if st.Mode().Perm()&0o222 == 0 {
		return fail(syscall.EACCES)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	return nil
}

// unwrapPathError drops the *PathError's own copy of the path: the message names it once.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
