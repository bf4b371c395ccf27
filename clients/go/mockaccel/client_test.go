package mockaccel

import (
	"errors"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func fakeTree(t *testing.T, pfs ...FakePF) *FakeSysfs {
	t.Helper()
	f, err := NewFakeSysfs(t.TempDir(), pfs)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func device(t *testing.T, f *FakeSysfs, name string) *Device {
	t.Helper()
	devices, err := Discover(f.Root)
	if err != nil {
		t.Fatal(err)
	}
	for i := range devices {
		if devices[i].Name == name {
			return &devices[i]
		}
	}
	t.Fatalf("no device %s", name)
	return nil
}

func TestDiscoverLayout(t *testing.T) {
	f := fakeTree(t, FakePF{NUMANode: 1, TotalVFs: 2, EnabledVFs: 1}, FakePF{NUMANode: -1})
	devices, err := Discover(f.Root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range devices {
		names = append(names, d.Name)
	}
	if strings.Join(names, " ") != "mock0 mock0_vf0 mock1" {
		t.Fatalf("names %v (the disabled VF must not be listed)", names)
	}
	pf, vf, nonuma := devices[0], devices[1], devices[2]
	if pf.Kind != KindPF || pf.PCIAddress != "0000:21:00.0" || pf.NUMA != 1 || pf.PCIeRoot != "pci0000:20" || pf.PF != nil || pf.Index != -1 {
		t.Fatalf("PF %+v", pf)
	}
	if vf.Kind != KindVF || vf.PCIAddress != "0000:21:00.1" || vf.Index != 0 || vf.PF == nil || *vf.PF != (PFRef{Name: "mock0", PCIAddress: "0000:21:00.0"}) {
		t.Fatalf("VF %+v", vf)
	}
	if nonuma.NUMA != -1 || nonuma.PCIeRoot != "pci0000:00" || nonuma.DevicePath() != "/dev/mock1" {
		t.Fatalf("no-NUMA PF %+v", nonuma)
	}
	if pf.VendorID != PCIVendorID || vf.DeviceID != PCIVFDeviceID || pf.ClassCode != PCIClassCode {
		t.Fatalf("IDs %+v", pf)
	}
}

func TestDiscoverSortsNumbersNumerically(t *testing.T) {
	pfs := make([]FakePF, 11)
	f := fakeTree(t, pfs...)
	devices, err := Discover(f.Root)
	if err != nil {
		t.Fatal(err)
	}
	if devices[2].Name != "mock2" || devices[10].Name != "mock10" {
		t.Fatalf("order %s %s", devices[2].Name, devices[10].Name)
	}
	if !sort.SliceIsSorted(devices, func(i, j int) bool { return naturalLess(devices[i].Name, devices[j].Name) }) {
		t.Fatal("not sorted")
	}
	if !naturalLess("mock0", "mock0_vf0") || !naturalLess("mock0_vf2", "mock0_vf10") || naturalLess("mock10", "mock9") {
		t.Fatal("naturalLess")
	}
}

func TestDiscoverWithoutDriver(t *testing.T) {
	_, err := Discover(t.TempDir())
	if !errors.Is(err, ErrDriverNotLoaded) || !strings.Contains(err.Error(), filepath.Join("class", SysfsClass)) {
		t.Fatalf("got %v", err)
	}
}

func TestDiscoverForeignDeviceID(t *testing.T) {
	f := fakeTree(t, FakePF{})
	d := device(t, f, "mock0")
	uevent := filepath.Join(d.PCIPath, "uevent")
	text, _ := os.ReadFile(uevent)
	if err := os.WriteFile(uevent, []byte(strings.Replace(string(text), ":0001", ":0042", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Discover(f.Root)
	var le *LayoutError
	if !errors.As(err, &le) || le.Path != uevent || !strings.Contains(err.Error(), "device ID 0x0042") {
		t.Fatalf("got %v", err)
	}
}

func TestTypedAccessors(t *testing.T) {
	caps := uint32(0x5)
	f := fakeTree(t, FakePF{MemorySize: 3 << 30, Capabilities: &caps, FWVersion: &SemVer{Major: 2, Minor: 0, Patch: 7}, TotalVFs: 2, EnabledVFs: 2})
	pf := device(t, f, "mock0")
	if v, err := pf.MemorySize(); err != nil || v != 3<<30 {
		t.Fatalf("MemorySize %d %v", v, err)
	}
	if v, err := pf.Capabilities(); err != nil || v&CapabilitiesCompressionMask == 0 || v&CapabilitiesEncryptionMask != 0 {
		t.Fatalf("Capabilities %#x %v", v, err)
	}
	if v, err := pf.FWVersion(); err != nil || v != (SemVer{Major: 2, Patch: 7}) {
		t.Fatalf("FWVersion %v %v", v, err)
	}
	if v, err := pf.PassphraseStatus(); err != nil || v != PassphraseStatusIdle {
		t.Fatalf("PassphraseStatus %q %v", v, err)
	}
	if v, err := pf.PassphraseLength(); err != nil || v != 6 {
		t.Fatalf("PassphraseLength (reset value) %d %v", v, err)
	}
	if v, err := pf.SRIOVTotalvfs(); err != nil || v != 2 {
		t.Fatalf("SRIOVTotalvfs %d %v", v, err)
	}
	vf := device(t, f, "mock0_vf1")
	if v, err := vf.VFIndex(); err != nil || v != 1 {
		t.Fatalf("VFIndex %d %v", v, err)
	}
	if _, err := vf.SRIOVTotalvfs(); !errors.Is(err, ErrNotShown) || !strings.Contains(err.Error(), "pf-only, this is a vf") {
		t.Fatalf("PF-only attribute on a VF: %v", err)
	}
}

func TestParseErrorNamesPathAndRawText(t *testing.T) {
	f := fakeTree(t, FakePF{})
	pf := device(t, f, "mock0")
	for _, raw := range []string{"016\n", "-1\n", "18446744073709551616\n", "", "12 \n"} {
		if err := f.SetRawAttribute("mock0", AttrMemorySize, raw); err != nil {
			t.Fatal(err)
		}
		_, err := pf.MemorySize()
		var ae *AttributeError
		if !errors.As(err, &ae) || !errors.Is(err, ErrParse) || ae.Raw != raw || ae.Path != filepath.Join(pf.Path, "memory_size") {
			t.Fatalf("%q: %v", raw, err)
		}
		if !strings.Contains(err.Error(), pf.Path+"/memory_size") || !strings.Contains(err.Error(), strings.TrimSuffix(strings.ReplaceAll(raw, "\n", `\n`), "")) {
			t.Fatalf("%q: message %q must name the path and the text", raw, err)
		}
	}
	if err := f.SetRawAttribute("mock0", AttrPassphraseStatus, "unknown\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := pf.PassphraseStatus(); !errors.Is(err, ErrParse) {
		t.Fatalf("an enum value the spec does not list: %v", err)
	}
}

func TestSettersRefuseBeforeWriting(t *testing.T) {
	f := fakeTree(t, FakePF{TotalVFs: 2})
	pf := device(t, f, "mock0")
	read := func(name AttributeName) string {
		b, err := os.ReadFile(filepath.Join(pf.Path, string(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// Static range from the spec (passphrase_length 4..12).
	for _, v := range []uint32{3, 13} {
		err := pf.SetPassphraseLength(v)
		if !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "4..12") || !strings.Contains(err.Error(), filepath.Join(pf.Path, "passphrase_length")) {
			t.Fatalf("SetPassphraseLength(%d): %v", v, err)
		}
	}
	if read(AttrPassphraseLength) != "6\n" {
		t.Fatal("a refused write touched the file")
	}
	if err := pf.SetPassphraseLength(12); err != nil || read(AttrPassphraseLength) != "12\n" {
		t.Fatalf("SetPassphraseLength(12): %v", err)
	}
	// The dynamic bound: sriov_numvfs at most sriov_totalvfs (2), below the static 7.
	if err := pf.SetSRIOVNumvfs(3); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "at most sriov_totalvfs (2)") {
		t.Fatalf("SetSRIOVNumvfs(3): %v", err)
	}
	if err := pf.SetSRIOVNumvfs(8); !errors.Is(err, ErrOutOfRange) || !strings.Contains(err.Error(), "0..7") {
		t.Fatalf("SetSRIOVNumvfs(8): %v", err)
	}
	if read(AttrSRIOVNumvfs) != "0\n" {
		t.Fatal("a refused write touched the file")
	}
	if err := pf.SetSRIOVNumvfs(2); err != nil || read(AttrSRIOVNumvfs) != "2\n" {
		t.Fatalf("SetSRIOVNumvfs(2): %v", err)
	}
	// status takes any u32, written as the kernel shows it back.
	if err := pf.SetStatus(0xdeadbeef); err != nil || read(AttrStatus) != "0xdeadbeef\n" {
		t.Fatalf("SetStatus: %v %q", err, read(AttrStatus))
	}
	if v, err := pf.Status(); err != nil || v != 0xdeadbeef {
		t.Fatalf("Status %#x %v", v, err)
	}
	// A file without write bits is refused as sysfs does, even for root.
	if err := os.Chmod(filepath.Join(pf.Path, "status"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := pf.SetStatus(1); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("SetStatus on a read-only file: %v", err)
	}
}

func TestDRAAttributes(t *testing.T) {
	caps := uint32(0x8)
	f := fakeTree(t, FakePF{Capabilities: &caps, TotalVFs: 1, EnabledVFs: 1, VFs: []FakeVF{{MemorySize: 1536 << 20}}})
	vf := device(t, f, "mock0_vf0")
	e, err := vf.DRAAttributes("accel.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if q := e.Capacity["accel.example.org/memory"].Value; q.String() != "1536Mi" {
		t.Fatalf("memory %s", q.String())
	}
	if s := e.Attributes["accel.example.org/physFn"].StringValue; s == nil || *s != "0000:11:00.0" {
		t.Fatalf("physFn %v", s)
	}
	// The old mock-device driver's names, kept for claims written against it.
	if s := e.Attributes["accel.example.org/physfn"].StringValue; s == nil || *s != "mock0" {
		t.Fatalf("physfn %v", s)
	}
	if i := e.Attributes["accel.example.org/memory"].IntValue; i == nil || *i != 1536<<20 {
		t.Fatalf("memory attribute %v", i)
	}
	pf := device(t, f, "mock0")
	e, err = pf.DRAAttributes("")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"compute": false, "encryption": false, "compression": false, "p2pDma": true} {
		b := e.Attributes[DefaultDomainQualified(name)].BoolValue
		if b == nil || *b != want {
			t.Fatalf("%s: %v, want %v", name, b, want)
		}
	}
	if _, ok := e.Attributes[DefaultDomainQualified("physFn")]; ok {
		t.Fatal("a PF has no physFn")
	}
	if _, ok := e.Attributes[DefaultDomainQualified("physfn")]; ok {
		t.Fatal("a PF has no physfn")
	}
	if _, err := pf.DRAAttributes("Not A Domain"); err == nil || !strings.Contains(err.Error(), "DNS subdomain") {
		t.Fatalf("bad domain: %v", err)
	}
	dev, err := vf.ResourceSliceDevice("")
	if err != nil || dev.Name != "mock0-vf0" || len(dev.Attributes) == 0 || len(dev.Capacity) != 1 {
		t.Fatalf("ResourceSliceDevice %+v %v", dev, err)
	}
}

func TestDNSLabelName(t *testing.T) {
	for in, want := range map[string]string{"mock0_vf0": "mock0-vf0", "Mock12": "mock12", strings.Repeat("x", 70): strings.Repeat("x", 63)} {
		if got, err := DNSLabelName(in); err != nil || got != want {
			t.Fatalf("%s: %q %v", in, got, err)
		}
	}
	if _, err := DNSLabelName("__"); err == nil {
		t.Fatal("__ has no label character")
	}
}

// The generated file is what gofmt prints (the emitter prints it gofmt-exact; go vet does not check this).
func TestGeneratedFileIsGofmtClean(t *testing.T) {
	src, err := os.ReadFile("zz_generated_spec.go")
	if err != nil {
		t.Fatal(err)
	}
	formatted, err := format.Source(src)
	if err != nil {
		t.Fatal(err)
	}
	if string(formatted) != string(src) {
		t.Fatal("zz_generated_spec.go is not gofmt-clean: fix packages/codegen/src/emit/emit-go-client.ts")
	}
	if !strings.HasPrefix(string(src), "// Code generated ") || !strings.Contains(strings.SplitN(string(src), "\n", 2)[0], "DO NOT EDIT.") {
		t.Fatal("the generated file lacks Go's do-not-edit banner")
	}
}
