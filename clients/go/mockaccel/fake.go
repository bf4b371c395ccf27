package mockaccel

// A fake sysfs tree with the layout the kernel driver creates, for tests without a VM, as the
// TypeScript client's createFakeSysfs (packages/sysfs-client/src/fake-sysfs.ts) builds it: the
// same paths, names, UUIDs and files for the same topology (a shared JSON fixture checks both).
// Values default to the spec's device_config defaults through the generated constants.
//
//	<root>/devices/pci0000:10/0000:10:00.0/0000:11:00.0/   PCI function: uevent vendor device class ... numa_node
//	<root>/devices/.../0000:11:00.0/mock-accel/mock0/      class device: the spec's attributes, dev, uevent, device ->
//	<root>/class/mock-accel/mock0 -> ../../devices/.../mock-accel/mock0

import (
	"fmt"
	"os"
	"path/filepath"
)

// FakeVF overrides one VF's values; zero fields take the defaults.
type FakeVF struct {
	// UUID is a canonical UUID or a label (UUIDFromLabel); default: the VF's name as the label.
	UUID         string
	MemorySize   uint64
	Capabilities *uint32
	FWVersion    *SemVer
}

// FakePF is one physical function of a fake guest; zero fields take the defaults.
type FakePF struct {
	// Name defaults to mock<N>, N counting PFs in order (the driver's IDA).
	Name string
	// UUID is a canonical UUID or a label (UUIDFromLabel); default: the PF's name as the label.
	UUID string
	// MemorySize in bytes; default ConfigMemorySizeDefaultPF.
	MemorySize uint64
	// NUMANode picks the expander: bus 0x10 for node 0, 0x20 for node 1; -1 is no NUMA (pci0000:00).
	NUMANode     int
	Capabilities *uint32
	FWVersion    *SemVer
	// TotalVFs the PF carries (PCI functions after it in its slot); EnabledVFs are shown in the class.
	TotalVFs, EnabledVFs int
	VFs                  []FakeVF
}

// FakeSysfs is a fake tree under Root; pass Root to Discover.
type FakeSysfs struct {
	Root         string
	slotsByNode  map[int]int
	nextPF       int
	nextMinor    int
	classDevices map[string]string
}

const (
	fakeMajor = 240
	// QEMU's pcie-root-port as the guest kernel shows it.
	redHatVendor   = 0x1b36
	rootPortDevice = 0x000c
	bridgeClass    = 0x060400
)

// NewFakeSysfs writes a fake tree for pfs under dir (which plays /sys). The layout is the one
// `mock-accel qemu-args` wires for vfio-user: each PF behind its own pcie-root-port of its
// node's pxb-pcie, at slot 0 of the secondary bus.
func NewFakeSysfs(dir string, pfs []FakePF) (*FakeSysfs, error) {
	f := &FakeSysfs{Root: dir, slotsByNode: map[int]int{}, classDevices: map[string]string{}}
	for _, sub := range []string{filepath.Join("class", SysfsClass), filepath.Join("bus", "pci", "drivers", SysfsClass), filepath.Join("bus", "pci", "devices"), "devices"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	for i, pf := range pfs {
		if err := f.addPF(pf, fmt.Sprintf("pfs[%d]", i)); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// ClassPath is the class device directory of a shown device.
func (f *FakeSysfs) ClassPath(name string) (string, bool) {
	p, ok := f.classDevices[name]
	return p, ok
}

// SetRawAttribute puts any text in an attribute file (to test parse errors).
func (f *FakeSysfs) SetRawAttribute(device string, name AttributeName, text string) error {
	dir, ok := f.classDevices[device]
	if !ok {
		return fmt.Errorf("fake sysfs: no shown device %q", device)
	}
	path := filepath.Join(dir, string(name))
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return writeMode(path, text, st.Mode().Perm())
}

func (f *FakeSysfs) addPF(pf FakePF, where string) error {
	name := pf.Name
	if name == "" {
		name = PFDeviceName(f.nextPF)
	}
	f.nextPF++
	if pf.TotalVFs < 0 || pf.TotalVFs > SRIOVMaxTotalVFs {
		return fmt.Errorf("%s.TotalVFs: %d is not 0..%d", where, pf.TotalVFs, SRIOVMaxTotalVFs)
	}
	if pf.EnabledVFs < 0 || pf.EnabledVFs > pf.TotalVFs {
		return fmt.Errorf("%s.EnabledVFs: %d is not 0..TotalVFs (%d)", where, pf.EnabledVFs, pf.TotalVFs)
	}
	// The driver names VFs after their PF's number (mock<N>_vf<i>), so a PF with VFs needs a name it gives.
	pfNumber, vfIndex, named := ParseDeviceName(name)
	if pf.TotalVFs > 0 && (!named || vfIndex >= 0) {
		return fmt.Errorf("%s.Name: %q is not a PF name the driver gives (%s, %s, ...), which its VFs' names extend", where, name, PFDeviceName(0), PFDeviceName(1))
	}
	if len(pf.VFs) > pf.TotalVFs {
		return fmt.Errorf("%s.VFs: %d entries but TotalVFs is %d", where, len(pf.VFs), pf.TotalVFs)
	}
	if pf.NUMANode < -1 {
		return fmt.Errorf("%s.NUMANode: %d is not -1 or a node number", where, pf.NUMANode)
	}
	parent, bus, err := f.rootPort(pf.NUMANode, where)
	if err != nil {
		return err
	}
	fw := fwFromRaw(ConfigFWVersionDefaultPF)
	if pf.FWVersion != nil {
		fw = *pf.FWVersion
	}
	caps := uint32(ConfigCapabilitiesDefaultPF)
	if pf.Capabilities != nil {
		caps = *pf.Capabilities
	}
	values := f.common(labelUUID(orDefault(pf.UUID, name)), orDefault(pf.MemorySize, ConfigMemorySizeDefaultPF), caps, int32(pf.NUMANode), fw)
	values[AttrSRIOVTotalvfs] = formatAttrSRIOVTotalvfs(uint32(pf.TotalVFs))
	values[AttrSRIOVNumvfs] = formatAttrSRIOVNumvfs(uint32(pf.EnabledVFs))
	pfAddress := fmt.Sprintf("0000:%02x:00.0", bus)
	if err := f.writeFunction(parent, pfAddress, name, KindPF, pf.NUMANode, values, true); err != nil {
		return err
	}
	for i := 0; i < pf.TotalVFs; i++ {
		var o FakeVF
		if i < len(pf.VFs) {
			o = pf.VFs[i]
		}
		vfName := VFDeviceName(pfNumber, i)
		vfFW := fw
		if o.FWVersion != nil {
			vfFW = *o.FWVersion
		}
		vfCaps := uint32(ConfigCapabilitiesDefaultVF)
		if o.Capabilities != nil {
			vfCaps = *o.Capabilities
		}
		v := f.common(labelUUID(orDefault(o.UUID, vfName)), orDefault(o.MemorySize, ConfigMemorySizeDefaultVF), vfCaps, int32(pf.NUMANode), vfFW)
		v[AttrVFIndex] = formatAttrVFIndex(uint32(i))
		address := fmt.Sprintf("0000:%02x:00.%d", bus, SRIOVFirstVFOffset+i*SRIOVVFStride)
		if err := f.writeFunction(parent, address, vfName, KindVF, pf.NUMANode, v, i < pf.EnabledVFs); err != nil {
			return err
		}
	}
	return nil
}

// common is what every function shows: reset values, then the topology's.
func (f *FakeSysfs) common(uuid string, memory uint64, caps uint32, numa int32, fw SemVer) map[AttributeName]string {
	v := map[AttributeName]string{}
	for _, s := range Attributes {
		if s.Reset != "" {
			v[s.Name] = s.Reset
		}
	}
	v[AttrUUID] = formatAttrUUID(uuid)
	v[AttrMemorySize] = formatAttrMemorySize(memory)
	v[AttrCapabilities] = formatAttrCapabilities(caps)
	v[AttrNUMANode] = formatAttrNUMANode(numa)
	v[AttrFWVersion] = formatAttrFWVersion(fw)
	v[AttrWordlistLoaded] = formatAttrWordlistLoaded(true)
	v[AttrWordlistSize] = formatAttrWordlistSize(FirmwareWords)
	return v
}

// rootPort is where the next PF of a node goes, as the guest kernel numbers `qemu-args` wiring:
// the root port's directory (relative to devices/) and the PF's bus.
func (f *FakeSysfs) rootPort(numa int, where string) (string, int, error) {
	k := f.slotsByNode[numa]
	f.slotsByNode[numa] = k + 1
	// No NUMA: root ports on the main root complex; slots 0 and 1 are q35's host bridge and spare.
	rootBus, rootSlot := 0x10*(numa+1), k
	if numa < 0 {
		rootBus, rootSlot = 0, k+2
	}
	bus := rootBus + 1 + k
	if (numa >= 0 && bus >= rootBus+0x10) || bus > 0xff || rootSlot > 0x1f {
		return "", 0, fmt.Errorf("%s: too many PFs on NUMA node %d for the guest's bus numbering", where, numa)
	}
	port := fmt.Sprintf("0000:%02x:%02x.0", rootBus, rootSlot)
	rel := filepath.Join(fmt.Sprintf("pci0000:%02x", rootBus), port)
	path := filepath.Join(f.Root, "devices", rel)
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return "", 0, err
		}
		if err := writePCIFiles(path, port, redHatVendor, rootPortDevice, bridgeClass, 0, 0, 0, numa, ""); err != nil {
			return "", 0, err
		}
		if err := f.link(filepath.Join(f.Root, "bus", "pci", "devices", port), path); err != nil {
			return "", 0, err
		}
	}
	return rel, bus, nil
}

func (f *FakeSysfs) writeFunction(parent, address, name string, kind Kind, numa int, values map[AttributeName]string, shown bool) error {
	pciPath := filepath.Join(f.Root, "devices", parent, address)
	if err := os.MkdirAll(pciPath, 0o755); err != nil {
		return err
	}
	device := PCIPFDeviceID
	if kind == KindVF {
		device = PCIVFDeviceID
	}
	if err := writePCIFiles(pciPath, address, PCIVendorID, device, PCIClassCode, PCIRevisionID, PCISubsystemVendorID, PCISubsystemID, numa, SysfsClass); err != nil {
		return err
	}
	driverDir := filepath.Join(f.Root, "bus", "pci", "drivers", SysfsClass)
	for at, target := range map[string]string{
		filepath.Join(f.Root, "bus", "pci", "devices", address): pciPath,
		filepath.Join(pciPath, "driver"):                        driverDir,
		filepath.Join(driverDir, address):                       pciPath,
	} {
		if err := f.link(at, target); err != nil {
			return err
		}
	}
	minor := f.nextMinor
	f.nextMinor++
	if !shown {
		return nil
	}
	// Attributes first, the class link last: a concurrent Discover never sees half a device.
	classPath := filepath.Join(pciPath, SysfsClass, name)
	if err := os.MkdirAll(classPath, 0o755); err != nil {
		return err
	}
	for _, s := range Attributes {
		if s.Functions != "all" && s.Functions != string(kind) {
			continue
		}
		text := ""
		if s.Readable {
			var ok bool
			if text, ok = values[s.Name]; !ok {
				text = neutralText(s)
			}
		}
		if err := writeMode(filepath.Join(classPath, string(s.Name)), text, s.Mode); err != nil {
			return err
		}
	}
	files := [][2]string{{"dev", fmt.Sprintf("%d:%d\n", fakeMajor, minor)}, {"uevent", fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\n", fakeMajor, minor, name)}}
	for _, file := range files {
		if err := writeMode(filepath.Join(classPath, file[0]), file[1], 0o444); err != nil {
			return err
		}
	}
	classDir := filepath.Join(f.Root, "class", SysfsClass)
	if err := f.link(filepath.Join(classPath, "device"), pciPath); err != nil {
		return err
	}
	if err := f.link(filepath.Join(classPath, "subsystem"), classDir); err != nil {
		return err
	}
	if err := f.link(filepath.Join(classDir, name), classPath); err != nil {
		return err
	}
	f.classDevices[name] = classPath
	return nil
}

// link makes a relative link like kernfs does (device -> ../../../0000:11:00.0).
func (f *FakeSysfs) link(at, target string) error {
	rel, err := filepath.Rel(filepath.Dir(at), target)
	if err != nil {
		return err
	}
	_ = os.Remove(at)
	return os.Symlink(rel, at)
}

// writePCIFiles writes a PCI function's identity files and its uevent as pci_uevent() does.
func writePCIFiles(path, address string, vendor, device, class, revision, subVendor, subDevice, numa int, driver string) error {
	uevent := ""
	if driver != "" {
		uevent = "DRIVER=" + driver + "\n"
	}
	uevent += fmt.Sprintf("PCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\nPCI_SLOT_NAME=%s\nMODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n",
		class, vendor, device, subVendor, subDevice, address, vendor, device, subVendor, subDevice, class>>16, (class>>8)&0xff, class&0xff)
	files := [][2]string{
		{"vendor", fmt.Sprintf("0x%04x\n", vendor)}, {"device", fmt.Sprintf("0x%04x\n", device)}, {"class", fmt.Sprintf("0x%06x\n", class)},
		{"subsystem_vendor", fmt.Sprintf("0x%04x\n", subVendor)}, {"subsystem_device", fmt.Sprintf("0x%04x\n", subDevice)}, {"revision", fmt.Sprintf("0x%02x\n", revision)}, {"numa_node", fmt.Sprintf("%d\n", numa)},
	}
	if err := writeMode(filepath.Join(path, "uevent"), uevent, 0o644); err != nil {
		return err
	}
	for _, file := range files {
		if err := writeMode(filepath.Join(path, file[0]), file[1], 0o444); err != nil {
			return err
		}
	}
	return nil
}

// neutralText is what an attribute the topology says nothing about shows (a spec extension's).
func neutralText(s AttributeSpec) string {
	switch s.Format {
	case "hex32":
		return "0x00000000\n"
	case "uuid":
		return "00000000-0000-0000-0000-000000000000\n"
	case "semver":
		return "0.0.0\n"
	case "string":
		return "\n"
	case "enum":
		if len(s.Choices) > 0 {
			return s.Choices[0] + "\n"
		}
		return "unknown\n"
	}
	return "0\n"
}

// labelUUID is a fake device's UUID: the topology's UUID or label, else the device's name, by
// the one label rule (UUIDFromLabel).
func labelUUID(label string) string {
	uuid, _ := UUIDFromLabel(label)
	return uuid
}

func fwFromRaw(raw uint32) SemVer {
	return SemVer{
		Major: raw & FWVersionMajorMask >> FWVersionMajorShift,
		Minor: raw & FWVersionMinorMask >> FWVersionMinorShift,
		Patch: raw & FWVersionPatchMask >> FWVersionPatchShift,
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// writeMode writes a file with exactly this mode (WriteFile's passes through the umask).
func writeMode(path, text string, mode os.FileMode) error {
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}
