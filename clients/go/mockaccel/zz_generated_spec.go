// Code generated from spec/registers.yaml by packages/codegen (src/emit/emit-go-client.ts). DO NOT EDIT.
// Change the spec and run `bun run codegen`.

package mockaccel

import "fmt"

// DeviceName is the spec's device.name: the kernel module's name and the C prefix.
const DeviceName = "mock_accel"

// SysfsClass is the driver's class: devices appear under /sys/class/mock-accel.
const SysfsClass = "mock-accel"

// PFNameTemplate and VFNameTemplate name class devices (and /dev nodes): {pf} is the PF's
// number, {vf} a VF's VF_INDEX (see PFDeviceName, VFDeviceName, ParseDeviceName).
const (
	PFNameTemplate = "mock{pf}"
	VFNameTemplate = "mock{pf}_vf{vf}"
)

// FirmwareFile is the firmware wordlist the driver loads with request_firmware.
const FirmwareFile = "mock-accel-wordlist.txt"

// FirmwareWords is the number of words in FirmwareFile: what wordlist_size shows once it is loaded.
const FirmwareWords = 7772

// PCIVendorID is the vendor ID of every mock-accel function.
const PCIVendorID = 0x1de5

// PCIPFDeviceID is the device ID of a physical function.
const PCIPFDeviceID = 0x1

// PCIVFDeviceID is the device ID of a virtual function.
const PCIVFDeviceID = 0x2

// PCIClassCode is the 24-bit PCI class code.
const PCIClassCode = 0x120000

// PCIRevisionID is the PCI revision ID.
const PCIRevisionID = 0x1

// PCISubsystemVendorID is the PCI subsystem vendor ID.
const PCISubsystemVendorID = 0x0

// PCISubsystemID is the PCI subsystem ID.
const PCISubsystemID = 0x0

// SRIOVMaxTotalVFs is the most VFs a PF carries.
const SRIOVMaxTotalVFs = 7

// SRIOVFirstVFOffset and SRIOVVFStride: VF n of a PF is PCI function PF + offset + n * stride.
const SRIOVFirstVFOffset = 1

// SRIOVVFStride is the PCI function distance between consecutive VFs.
const SRIOVVFStride = 1

// ConfigMemorySizeDefaultPF is device_config memory_size's default_pf: Device memory in bytes.
const ConfigMemorySizeDefaultPF = 0x400000000

// ConfigMemorySizeDefaultVF is device_config memory_size's default_vf: Device memory in bytes.
const ConfigMemorySizeDefaultVF = 0x80000000

// ConfigCapabilitiesDefaultPF is device_config capabilities's default_pf: Capability bits (see the CAPABILITIES register's fields).
const ConfigCapabilitiesDefaultPF = 1

// ConfigCapabilitiesDefaultVF is device_config capabilities's default_vf: Capability bits (see the CAPABILITIES register's fields).
const ConfigCapabilitiesDefaultVF = 1

// ConfigFWVersionDefaultPF is device_config fw_version's default_pf: Firmware version 0x00MMmmpp.
const ConfigFWVersionDefaultPF = 0x10200

// ConfigFWVersionDefaultVF is device_config fw_version's default_vf: Firmware version 0x00MMmmpp.
const ConfigFWVersionDefaultVF = 0x10200

// ConfigTotalVFSDefaultPF is device_config total_vfs's default_pf: Virtual functions a PF carries (0..7); always 0 on a VF.
const ConfigTotalVFSDefaultPF = 0

// ConfigTotalVFSDefaultVF is device_config total_vfs's default_vf: Virtual functions a PF carries (0..7); always 0 on a VF.
const ConfigTotalVFSDefaultVF = 0

// ConfigVFIndexDefaultPF is device_config vf_index's default_pf: A VF's index 0..N-1; 0xFFFFFFFF on a PF, and on a VF whose guest driver takes the index from its PCI function (function - 1).
const ConfigVFIndexDefaultPF = 0xffffffff

// ConfigVFIndexDefaultVF is device_config vf_index's default_vf: A VF's index 0..N-1; 0xFFFFFFFF on a PF, and on a VF whose guest driver takes the index from its PCI function (function - 1).
const ConfigVFIndexDefaultVF = 0xffffffff

// CapabilitiesComputeMask is field CAPABILITIES.COMPUTE in the `capabilities` attribute's value. Compute engine; always set.
const CapabilitiesComputeMask = 0x1

// CapabilitiesComputeShift is the lowest bit of CAPABILITIES.COMPUTE.
const CapabilitiesComputeShift = 0

// CapabilitiesEncryptionMask is field CAPABILITIES.ENCRYPTION in the `capabilities` attribute's value. Inline encryption engine (extension example).
const CapabilitiesEncryptionMask = 0x2

// CapabilitiesEncryptionShift is the lowest bit of CAPABILITIES.ENCRYPTION.
const CapabilitiesEncryptionShift = 1

// CapabilitiesCompressionMask is field CAPABILITIES.COMPRESSION in the `capabilities` attribute's value. Compression engine (extension example).
const CapabilitiesCompressionMask = 0x4

// CapabilitiesCompressionShift is the lowest bit of CAPABILITIES.COMPRESSION.
const CapabilitiesCompressionShift = 2

// CapabilitiesP2PDMAMask is field CAPABILITIES.P2P_DMA in the `capabilities` attribute's value. Peer-to-peer DMA (extension example).
const CapabilitiesP2PDMAMask = 0x8

// CapabilitiesP2PDMAShift is the lowest bit of CAPABILITIES.P2P_DMA.
const CapabilitiesP2PDMAShift = 3

// StatusAllocatedMask is field STATUS.ALLOCATED in the `status` attribute's value. Set while a DRA claim holds the device.
const StatusAllocatedMask = 0x1

// StatusAllocatedShift is the lowest bit of STATUS.ALLOCATED.
const StatusAllocatedShift = 0

// FWVersionMajorMask is field FW_VERSION.MAJOR in the `fw_version` attribute's value.
const FWVersionMajorMask = 0xff0000

// FWVersionMajorShift is the lowest bit of FW_VERSION.MAJOR.
const FWVersionMajorShift = 16

// FWVersionMinorMask is field FW_VERSION.MINOR in the `fw_version` attribute's value.
const FWVersionMinorMask = 0xff00

// FWVersionMinorShift is the lowest bit of FW_VERSION.MINOR.
const FWVersionMinorShift = 8

// FWVersionPatchMask is field FW_VERSION.PATCH in the `fw_version` attribute's value.
const FWVersionPatchMask = 0xff

// FWVersionPatchShift is the lowest bit of FW_VERSION.PATCH.
const FWVersionPatchShift = 0

// AttributeName names a sysfs attribute file of a mock-accel device.
type AttributeName string

// AttrUUID is uuid: Device UUID.
const AttrUUID AttributeName = "uuid"

// AttrMemorySize is memory_size: Device memory in bytes.
const AttrMemorySize AttributeName = "memory_size"

// AttrCapabilities is capabilities: Capability bits.
const AttrCapabilities AttributeName = "capabilities"

// AttrStatus is status: Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32.
const AttrStatus AttributeName = "status"

// AttrNUMANode is numa_node: NUMA node of the PCI device (-1 when unknown).
const AttrNUMANode AttributeName = "numa_node"

// AttrFWVersion is fw_version: Firmware version "M.m.p".
const AttrFWVersion AttributeName = "fw_version"

// AttrSRIOVTotalvfs is sriov_totalvfs: VFs this PF carries, from SRIOV_TOTAL_VFS.
const AttrSRIOVTotalvfs AttributeName = "sriov_totalvfs"

// AttrSRIOVNumvfs is sriov_numvfs: VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1.
const AttrSRIOVNumvfs AttributeName = "sriov_numvfs"

// AttrVFIndex is vf_index: This VF's index under its PF, from VF_INDEX, or from its PCI function (function - 1) when VF_INDEX is 0xFFFFFFFF.
const AttrVFIndex AttributeName = "vf_index"

// AttrPassphraseLength is passphrase_length: Words in the next generated passphrase (4..12).
const AttrPassphraseLength AttributeName = "passphrase_length"

// AttrPassphraseGenerate is passphrase_generate: Write 1 to generate a passphrase.
const AttrPassphraseGenerate AttributeName = "passphrase_generate"

// AttrPassphraseStatus is passphrase_status: idle, busy, ready or error.
const AttrPassphraseStatus AttributeName = "passphrase_status"

// AttrPassphraseCount is passphrase_count: Words in the last passphrase.
const AttrPassphraseCount AttributeName = "passphrase_count"

// AttrPassphrase is passphrase: The last passphrase, words separated by spaces.
const AttrPassphrase AttributeName = "passphrase"

// AttrWordlistLoaded is wordlist_loaded: 1 when the firmware wordlist is loaded.
const AttrWordlistLoaded AttributeName = "wordlist_loaded"

// AttrWordlistSize is wordlist_size: Words in the loaded firmware wordlist.
const AttrWordlistSize AttributeName = "wordlist_size"

// AttrLoadWordlist is load_wordlist: Write 1 to reload firmware mock-accel-wordlist.txt.
const AttrLoadWordlist AttributeName = "load_wordlist"

// PassphraseStatus is a value of passphrase_status (register PASSPHRASE_STATUS).
type PassphraseStatus string

// PassphraseStatusIdle is PASSPHRASE_STATUS IDLE (0).
const PassphraseStatusIdle PassphraseStatus = "idle"

// PassphraseStatusBusy is PASSPHRASE_STATUS BUSY (1).
const PassphraseStatusBusy PassphraseStatus = "busy"

// PassphraseStatusReady is PASSPHRASE_STATUS READY (2).
const PassphraseStatusReady PassphraseStatus = "ready"

// PassphraseStatusError is PASSPHRASE_STATUS ERROR (3).
const PassphraseStatusError PassphraseStatus = "error"

// parseAttrPassphraseStatus: an enum's lower-case value name; the kernel's "unknown" (a value the spec does not list) does not parse.
func parseAttrPassphraseStatus(text string) (PassphraseStatus, bool) {
	switch v := PassphraseStatus(lineBody(text)); v {
	case PassphraseStatusIdle, PassphraseStatusBusy, PassphraseStatusReady, PassphraseStatusError:
		return v, true
	}
	return "", false
}

// Attributes is every sysfs attribute in spec order.
var Attributes = []AttributeSpec{
	{Name: AttrUUID, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "uuid", DRA: &DRAMapping{Kind: "attribute", Name: "uuid"}, Description: "Device UUID."},
	{Name: AttrMemorySize, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "decimal", DRA: &DRAMapping{Kind: "capacity", Name: "memory", AlsoAttribute: "memory"}, Description: "Device memory in bytes."},
	{Name: AttrCapabilities, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "hex32", DRA: &DRAMapping{Kind: "attribute", Name: "capabilities", Bits: []DRABit{{Field: "COMPUTE", Name: "compute", Mask: 0x1}, {Field: "ENCRYPTION", Name: "encryption", Mask: 0x2}, {Field: "COMPRESSION", Name: "compression", Mask: 0x4}, {Field: "P2P_DMA", Name: "p2pDma", Mask: 0x8}}}, Description: "Capability bits."},
	{Name: AttrStatus, Mode: 0o644, Readable: true, Writable: true, Functions: "all", Format: "hex32", Reset: "0x00000000\n", Description: "Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32."},
	{Name: AttrNUMANode, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "decimal", DRA: &DRAMapping{Kind: "attribute", Name: "numaNode"}, Description: "NUMA node of the PCI device (-1 when unknown)."},
	{Name: AttrFWVersion, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "semver", DRA: &DRAMapping{Kind: "attribute", Name: "firmwareVersion"}, Description: "Firmware version \"M.m.p\"."},
	{Name: AttrSRIOVTotalvfs, Mode: 0o444, Readable: true, Writable: false, Functions: "pf", Format: "decimal", Description: "VFs this PF carries, from SRIOV_TOTAL_VFS."},
	{Name: AttrSRIOVNumvfs, Mode: 0o644, Readable: true, Writable: true, Functions: "pf", Format: "decimal", Description: "VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1."},
	{Name: AttrVFIndex, Mode: 0o444, Readable: true, Writable: false, Functions: "vf", Format: "decimal", Description: "This VF's index under its PF, from VF_INDEX, or from its PCI function (function - 1) when VF_INDEX is 0xFFFFFFFF."},
	{Name: AttrPassphraseLength, Mode: 0o644, Readable: true, Writable: true, Functions: "all", Format: "decimal", Reset: "6\n", Description: "Words in the next generated passphrase (4..12)."},
	{Name: AttrPassphraseGenerate, Mode: 0o200, Readable: false, Writable: true, Functions: "all", Format: "decimal", Description: "Write 1 to generate a passphrase."},
	{Name: AttrPassphraseStatus, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "enum", Choices: []string{"idle", "busy", "ready", "error"}, Reset: "idle\n", Description: "idle, busy, ready or error."},
	{Name: AttrPassphraseCount, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "decimal", Reset: "0\n", Description: "Words in the last passphrase."},
	{Name: AttrPassphrase, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "string", Reset: "\n", Description: "The last passphrase, words separated by spaces."},
	{Name: AttrWordlistLoaded, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "bool", Description: "1 when the firmware wordlist is loaded."},
	{Name: AttrWordlistSize, Mode: 0o444, Readable: true, Writable: false, Functions: "all", Format: "decimal", Description: "Words in the loaded firmware wordlist."},
	{Name: AttrLoadWordlist, Mode: 0o200, Readable: false, Writable: true, Functions: "all", Format: "decimal", Description: "Write 1 to reload firmware mock-accel-wordlist.txt."},
}

// formatAttrUUID is exactly the text the kernel shows for uuid, newline included.
func formatAttrUUID(v string) string { return formatUUID(v) }

// UUID reads uuid: Device UUID.
func (d *Device) UUID() (string, error) {
	text, err := d.readText(AttrUUID)
	if err != nil {
		return "", err
	}
	v, ok := parseUUID(text)
	if !ok {
		return "", d.parseError(AttrUUID, text)
	}
	return v, nil
}

// formatAttrMemorySize is exactly the text the kernel shows for memory_size, newline included.
func formatAttrMemorySize(v uint64) string { return formatUnsigned(v) }

// MemorySize reads memory_size: Device memory in bytes.
func (d *Device) MemorySize() (uint64, error) {
	text, err := d.readText(AttrMemorySize)
	if err != nil {
		return 0, err
	}
	v, ok := parseUnsigned(text, 18446744073709551615)
	if !ok {
		return 0, d.parseError(AttrMemorySize, text)
	}
	return v, nil
}

// formatAttrCapabilities is exactly the text the kernel shows for capabilities, newline included.
func formatAttrCapabilities(v uint32) string { return formatHex32(v) }

// Capabilities reads capabilities: Capability bits.
func (d *Device) Capabilities() (uint32, error) {
	text, err := d.readText(AttrCapabilities)
	if err != nil {
		return 0, err
	}
	v, ok := parseHex32(text, 0xffffffff)
	if !ok {
		return 0, d.parseError(AttrCapabilities, text)
	}
	return v, nil
}

// formatAttrStatus is exactly the text the kernel shows for status, newline included.
func formatAttrStatus(v uint32) string { return formatHex32(v) }

// Status reads status: Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32.
func (d *Device) Status() (uint32, error) {
	text, err := d.readText(AttrStatus)
	if err != nil {
		return 0, err
	}
	v, ok := parseHex32(text, 0xffffffff)
	if !ok {
		return 0, d.parseError(AttrStatus, text)
	}
	return v, nil
}

// SetStatus writes status: Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32. Any u32 is accepted.
func (d *Device) SetStatus(v uint32) error {
	if err := d.checkWritable(AttrStatus); err != nil {
		return err
	}
	return d.writeText(AttrStatus, formatAttrStatus(v))
}

// formatAttrNUMANode is exactly the text the kernel shows for numa_node, newline included.
func formatAttrNUMANode(v int32) string { return formatSigned(v) }

// NUMANode reads numa_node: NUMA node of the PCI device (-1 when unknown).
func (d *Device) NUMANode() (int32, error) {
	text, err := d.readText(AttrNUMANode)
	if err != nil {
		return 0, err
	}
	v, ok := parseS32(text)
	if !ok {
		return 0, d.parseError(AttrNUMANode, text)
	}
	return v, nil
}

// formatAttrFWVersion is exactly the text the kernel shows for fw_version, newline included.
func formatAttrFWVersion(v SemVer) string { return formatSemver(v) }

// FWVersion reads fw_version: Firmware version "M.m.p".
func (d *Device) FWVersion() (SemVer, error) {
	text, err := d.readText(AttrFWVersion)
	if err != nil {
		return SemVer{}, err
	}
	v, ok := parseSemver(text, SemVer{Major: 255, Minor: 255, Patch: 255})
	if !ok {
		return SemVer{}, d.parseError(AttrFWVersion, text)
	}
	return v, nil
}

// formatAttrSRIOVTotalvfs is exactly the text the kernel shows for sriov_totalvfs, newline included.
func formatAttrSRIOVTotalvfs(v uint32) string { return formatUnsigned(v) }

// SRIOVTotalvfs reads sriov_totalvfs: VFs this PF carries, from SRIOV_TOTAL_VFS.
func (d *Device) SRIOVTotalvfs() (uint32, error) {
	text, err := d.readText(AttrSRIOVTotalvfs)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrSRIOVTotalvfs, text)
	}
	return v, nil
}

// formatAttrSRIOVNumvfs is exactly the text the kernel shows for sriov_numvfs, newline included.
func formatAttrSRIOVNumvfs(v uint32) string { return formatUnsigned(v) }

// SRIOVNumvfs reads sriov_numvfs: VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1.
func (d *Device) SRIOVNumvfs() (uint32, error) {
	text, err := d.readText(AttrSRIOVNumvfs)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrSRIOVNumvfs, text)
	}
	return v, nil
}

// SetSRIOVNumvfs writes sriov_numvfs: VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1. Values outside 0..7, or above sriov_totalvfs, are refused before the file is touched.
func (d *Device) SetSRIOVNumvfs(v uint32) error {
	if err := d.checkWritable(AttrSRIOVNumvfs); err != nil {
		return err
	}
	if v > 7 {
		return d.rangeError(AttrSRIOVNumvfs, v, "0..7")
	}
	bound, err := d.SRIOVTotalvfs()
	if err != nil {
		return err
	}
	if uint64(v) > uint64(bound) {
		return d.rangeError(AttrSRIOVNumvfs, v, fmt.Sprintf("at most sriov_totalvfs (%d)", bound))
	}
	return d.writeText(AttrSRIOVNumvfs, formatAttrSRIOVNumvfs(v))
}

// formatAttrVFIndex is exactly the text the kernel shows for vf_index, newline included.
func formatAttrVFIndex(v uint32) string { return formatUnsigned(v) }

// VFIndex reads vf_index: This VF's index under its PF, from VF_INDEX, or from its PCI function (function - 1) when VF_INDEX is 0xFFFFFFFF.
func (d *Device) VFIndex() (uint32, error) {
	text, err := d.readText(AttrVFIndex)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrVFIndex, text)
	}
	return v, nil
}

// formatAttrPassphraseLength is exactly the text the kernel shows for passphrase_length, newline included.
func formatAttrPassphraseLength(v uint32) string { return formatUnsigned(v) }

// PassphraseLength reads passphrase_length: Words in the next generated passphrase (4..12).
func (d *Device) PassphraseLength() (uint32, error) {
	text, err := d.readText(AttrPassphraseLength)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrPassphraseLength, text)
	}
	return v, nil
}

// SetPassphraseLength writes passphrase_length: Words in the next generated passphrase (4..12). Values outside 4..12 are refused before the file is touched.
func (d *Device) SetPassphraseLength(v uint32) error {
	if err := d.checkWritable(AttrPassphraseLength); err != nil {
		return err
	}
	if v < 4 || v > 12 {
		return d.rangeError(AttrPassphraseLength, v, "4..12")
	}
	return d.writeText(AttrPassphraseLength, formatAttrPassphraseLength(v))
}

// formatAttrPassphraseGenerate is exactly the text the kernel shows for passphrase_generate, newline included.
func formatAttrPassphraseGenerate(v uint32) string { return formatUnsigned(v) }

// SetPassphraseGenerate writes passphrase_generate: Write 1 to generate a passphrase. Values outside 1 are refused before the file is touched.
func (d *Device) SetPassphraseGenerate(v uint32) error {
	if err := d.checkWritable(AttrPassphraseGenerate); err != nil {
		return err
	}
	if v < 1 || v > 1 {
		return d.rangeError(AttrPassphraseGenerate, v, "1")
	}
	return d.writeText(AttrPassphraseGenerate, formatAttrPassphraseGenerate(v))
}

// formatAttrPassphraseStatus is exactly the text the kernel shows for passphrase_status, newline included.
func formatAttrPassphraseStatus(v PassphraseStatus) string { return formatLine(string(v)) }

// PassphraseStatus reads passphrase_status: idle, busy, ready or error.
func (d *Device) PassphraseStatus() (PassphraseStatus, error) {
	text, err := d.readText(AttrPassphraseStatus)
	if err != nil {
		return "", err
	}
	v, ok := parseAttrPassphraseStatus(text)
	if !ok {
		return "", d.parseError(AttrPassphraseStatus, text)
	}
	return v, nil
}

// formatAttrPassphraseCount is exactly the text the kernel shows for passphrase_count, newline included.
func formatAttrPassphraseCount(v uint32) string { return formatUnsigned(v) }

// PassphraseCount reads passphrase_count: Words in the last passphrase.
func (d *Device) PassphraseCount() (uint32, error) {
	text, err := d.readText(AttrPassphraseCount)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrPassphraseCount, text)
	}
	return v, nil
}

// formatAttrPassphrase is exactly the text the kernel shows for passphrase, newline included.
func formatAttrPassphrase(v string) string { return formatLine(v) }

// Passphrase reads passphrase: The last passphrase, words separated by spaces.
func (d *Device) Passphrase() (string, error) {
	text, err := d.readText(AttrPassphrase)
	if err != nil {
		return "", err
	}
	v, ok := parseLine(text, 256)
	if !ok {
		return "", d.parseError(AttrPassphrase, text)
	}
	return v, nil
}

// formatAttrWordlistLoaded is exactly the text the kernel shows for wordlist_loaded, newline included.
func formatAttrWordlistLoaded(v bool) string { return formatBool(v) }

// WordlistLoaded reads wordlist_loaded: 1 when the firmware wordlist is loaded.
func (d *Device) WordlistLoaded() (bool, error) {
	text, err := d.readText(AttrWordlistLoaded)
	if err != nil {
		return false, err
	}
	v, ok := parseBool(text)
	if !ok {
		return false, d.parseError(AttrWordlistLoaded, text)
	}
	return v, nil
}

// formatAttrWordlistSize is exactly the text the kernel shows for wordlist_size, newline included.
func formatAttrWordlistSize(v uint32) string { return formatUnsigned(v) }

// WordlistSize reads wordlist_size: Words in the loaded firmware wordlist.
func (d *Device) WordlistSize() (uint32, error) {
	text, err := d.readText(AttrWordlistSize)
	if err != nil {
		return 0, err
	}
	v, ok := parseU32(text, 4294967295)
	if !ok {
		return 0, d.parseError(AttrWordlistSize, text)
	}
	return v, nil
}

// formatAttrLoadWordlist is exactly the text the kernel shows for load_wordlist, newline included.
func formatAttrLoadWordlist(v uint32) string { return formatUnsigned(v) }

// SetLoadWordlist writes load_wordlist: Write 1 to reload firmware mock-accel-wordlist.txt. Values outside 1 are refused before the file is touched.
func (d *Device) SetLoadWordlist(v uint32) error {
	if err := d.checkWritable(AttrLoadWordlist); err != nil {
		return err
	}
	if v < 1 || v > 1 {
		return d.rangeError(AttrLoadWordlist, v, "1")
	}
	return d.writeText(AttrLoadWordlist, formatAttrLoadWordlist(v))
}

// draValues reads the attributes the spec maps to DRA (dra:), in spec order.
func (d *Device) draValues() ([]draValue, error) {
	var out []draValue
	if d.Has(AttrUUID) {
		v, err := d.UUID()
		if err != nil {
			return nil, err
		}
		out = append(out, draString("uuid", v))
	}
	if d.Has(AttrMemorySize) {
		v, err := d.MemorySize()
		if err != nil {
			return nil, err
		}
		c, err := d.draCapacity(AttrMemorySize, "memory", uint64(v))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		i, err := d.draUint(AttrMemorySize, "memory", uint64(v))
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	if d.Has(AttrCapabilities) {
		v, err := d.Capabilities()
		if err != nil {
			return nil, err
		}
		out = append(out, draInt("capabilities", int64(v)))
		out = append(out, draBool("compute", v&0x1 != 0))
		out = append(out, draBool("encryption", v&0x2 != 0))
		out = append(out, draBool("compression", v&0x4 != 0))
		out = append(out, draBool("p2pDma", v&0x8 != 0))
	}
	if d.Has(AttrNUMANode) {
		v, err := d.NUMANode()
		if err != nil {
			return nil, err
		}
		out = append(out, draInt("numaNode", int64(v)))
	}
	if d.Has(AttrFWVersion) {
		v, err := d.FWVersion()
		if err != nil {
			return nil, err
		}
		out = append(out, draVersion("firmwareVersion", v))
	}
	return out, nil
}
