package mockaccel

// Discovery the way the kernel lays devices out (the TypeScript client's rules,
// packages/sysfs-client/src/client.ts): /sys/class/mock-accel/<name> is a link to the class
// device, whose `device` link is the PCI function directory (its uevent gives the IDs,
// numa_node the node). A VF's PF is function 0 of the VF's slot.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// ErrDriverNotLoaded: <root>/class/mock-accel does not exist (module not loaded, or a wrong root).
var ErrDriverNotLoaded = errors.New("is the mock-accel kernel module loaded (or is the sysfs root wrong)?")

// LayoutError: a class entry does not have the layout the kernel driver creates.
type LayoutError struct {
	Path    string
	Problem string
	Err     error
}

func (e *LayoutError) Error() string { return e.Path + ": " + e.Problem }
func (e *LayoutError) Unwrap() error { return e.Err }

// Discover lists every mock-accel function the driver shows under root (a sysfs mount, "/sys"
// on a node), PFs and enabled VFs, sorted by name with numbers in numeric order (mock2 before
// mock10). A missing class directory is ErrDriverNotLoaded, never an empty list; a device whose
// layout is broken is a *LayoutError naming the path.
func Discover(root string) ([]Device, error) {
	classDir := filepath.Join(root, "class", SysfsClass)
	entries, err := os.ReadDir(classDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: %w", classDir, ErrDriverNotLoaded)
		}
		return nil, &LayoutError{Path: classDir, Problem: fmt.Sprintf("cannot list: %v", unwrapPathError(err)), Err: err}
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, &LayoutError{Path: root, Problem: fmt.Sprintf("cannot resolve the sysfs root: %v", unwrapPathError(err)), Err: err}
	}
	var devices []Device
	for _, e := range entries {
		d, err := resolveEntry(realRoot, classDir, e.Name())
		if err != nil {
			return nil, err
		}
		if d != nil {
			devices = append(devices, *d)
		}
	}
	byAddress := map[string]string{}
	for _, d := range devices {
		byAddress[d.PCIAddress] = d.Name
	}
	for i := range devices {
		if devices[i].Kind == KindVF {
			pf := functionZero(devices[i].PCIAddress)
			devices[i].PF = &PFRef{Name: byAddress[pf], PCIAddress: pf}
		}
	}
	sort.Slice(devices, func(i, j int) bool { return naturalLess(devices[i].Name, devices[j].Name) })
	return devices, nil
}

// resolveEntry is nil when the entry vanished while we looked (a VF disabled mid-discovery).
func resolveEntry(realRoot, classDir, name string) (*Device, error) {
	realEntry := filepath.Join(realRoot, "class", SysfsClass, name)
	path, err := resolveLink(realEntry)
	if err != nil || path == "" {
		return nil, err
	}
	d, err := resolveClassDevice(realRoot, filepath.Join(classDir, name), name, path)
	if err != nil {
		// A VF disabled (or a device unplugged) while we looked: its class link went first.
		if _, statErr := os.Lstat(realEntry); errors.Is(statErr, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return d, nil
}

func resolveClassDevice(realRoot, entry, name, path string) (*Device, error) {
	pciPath, err := resolveLink(filepath.Join(path, "device"))
	if err != nil {
		return nil, err
	}
	if pciPath == "" {
		return nil, &LayoutError{Path: filepath.Join(entry, "device"), Problem: "class device has no PCI function link"}
	}
	address := filepath.Base(pciPath)
	if !pciAddrText.MatchString(address) {
		return nil, &LayoutError{Path: filepath.Join(entry, "device"), Problem: fmt.Sprintf("links to %s, not a PCI function directory", pciPath)}
	}
	devicesDir := filepath.Join(realRoot, "devices")
	rel, err := filepath.Rel(devicesDir, pciPath)
	parts := strings.Split(rel, string(filepath.Separator))
	if err != nil || len(parts) < 2 || !rootComplex.MatchString(parts[0]) {
		return nil, &LayoutError{Path: pciPath, Problem: fmt.Sprintf("not under %s/pciDDDD:BB", devicesDir)}
	}
	vendor, device, class, source, err := readPCIIdentity(pciPath)
	if err != nil {
		return nil, err
	}
	numa, err := readPCINumber(pciPath, "numa_node", 10)
	if err != nil {
		return nil, err
	}
	d := &Device{
		Name: name, PCIAddress: address, NUMA: int(numa), VendorID: uint16(vendor), DeviceID: uint16(device),
		ClassCode: uint32(class), PCIeRoot: parts[0], Index: -1, Path: path, PCIPath: pciPath,
	}
	switch device {
	case PCIPFDeviceID:
		d.Kind = KindPF
	case PCIVFDeviceID:
		d.Kind = KindVF
		// The driver names VFs by the spec's rule (mock<N>_vf<VF_INDEX>); read vf_index only if
		// someone renamed it.
		if _, vf, ok := ParseDeviceName(name); ok && vf >= 0 {
			d.Index = vf
		} else {
			i, err := d.VFIndex()
			if err != nil {
				return nil, err
			}
			d.Index = int(i)
		}
	default:
		return nil, &LayoutError{Path: source, Problem: fmt.Sprintf("device ID 0x%04x is neither the PF (0x%04x) nor the VF (0x%04x) of mock-accel", device, PCIPFDeviceID, PCIVFDeviceID)}
	}
	return d, nil
}

// resolveLink is where a sysfs link points, as an absolute path; "" if it is gone. Sysfs links
// are relative and /sys/devices has no symlinked directories, so readlink + join equals
// realpath at one syscall. Anything that is not a symlink goes through EvalSymlinks.
func resolveLink(path string) (string, error) {
	target, err := os.Readlink(path)
	if err == nil {
		if filepath.IsAbs(target) {
			return filepath.Clean(target), nil
		}
		return filepath.Join(filepath.Dir(path), target), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if !errors.Is(err, syscall.EINVAL) {
		return "", &LayoutError{Path: path, Problem: fmt.Sprintf("cannot read the link: %v", unwrapPathError(err)), Err: err}
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", &LayoutError{Path: path, Problem: fmt.Sprintf("cannot resolve: %v", unwrapPathError(err)), Err: err}
	}
	return real, nil
}

var (
	ueventID    = regexp.MustCompile(`(?m)^PCI_ID=([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})$`)
	ueventClass = regexp.MustCompile(`(?m)^PCI_CLASS=([0-9A-Fa-f]{1,6})$`)
	pciHex      = regexp.MustCompile(`(?i)^0x[0-9a-f]+\n?$`)
	pciDecimal  = regexp.MustCompile(`^-?[0-9]+\n?$`)
)

// readPCIIdentity: vendor, device and class from the function's uevent (PCI_ID=1DE5:0001,
// PCI_CLASS=120000, written by pci_uevent()); the separate files if a line is missing.
func readPCIIdentity(pciPath string) (vendor, device, class int64, source string, err error) {
	path := filepath.Join(pciPath, "uevent")
	b, err := readBounded(path)
	if err != nil {
		return 0, 0, 0, "", &LayoutError{Path: path, Problem: fmt.Sprintf("cannot read the PCI function's uevent: %v", unwrapPathError(err)), Err: err}
	}
	id, cls := ueventID.FindSubmatch(b), ueventClass.FindSubmatch(b)
	if id != nil && cls != nil {
		vendor, _ = strconv.ParseInt(string(id[1]), 16, 64)
		device, _ = strconv.ParseInt(string(id[2]), 16, 64)
		class, _ = strconv.ParseInt(string(cls[1]), 16, 64)
		return vendor, device, class, path, nil
	}
	if vendor, err = readPCINumber(pciPath, "vendor", 16); err != nil {
		return
	}
	if device, err = readPCINumber(pciPath, "device", 16); err != nil {
		return
	}
	class, err = readPCINumber(pciPath, "class", 16)
	return vendor, device, class, filepath.Join(pciPath, "device"), err
}

func readPCINumber(pciPath, file string, base int) (int64, error) {
	path := filepath.Join(pciPath, file)
	b, err := readBounded(path)
	if err != nil {
		return 0, &LayoutError{Path: path, Problem: fmt.Sprintf("cannot read the PCI function's %s: %v", file, unwrapPathError(err)), Err: err}
	}
	raw := string(b)
	pattern, what := pciDecimal, "a decimal"
	if base == 16 {
		pattern, what = pciHex, "hex"
	}
	if !pattern.MatchString(raw) {
		return 0, &LayoutError{Path: path, Problem: fmt.Sprintf("cannot parse %q as %s", raw, what)}
	}
	body := strings.TrimSuffix(raw, "\n")
	if base == 16 {
		body = body[2:]
	}
	v, err := strconv.ParseInt(body, base, 64)
	if err != nil {
		return 0, &LayoutError{Path: path, Problem: fmt.Sprintf("cannot parse %q as %s", raw, what), Err: err}
	}
	return v, nil
}

// functionZero is function 0 of the same slot: where a mock-accel VF's PF lives.
func functionZero(address string) string {
	return address[:strings.LastIndexByte(address, '.')] + ".0"
}

// naturalLess orders names with digit runs compared as numbers (mock2 < mock10), as the
// TypeScript client's Intl.Collator({ numeric: true }) does for these ASCII names.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			x, y := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(x) != len(y) {
				return len(x) < len(y)
			}
			if x != y {
				return x < y
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
