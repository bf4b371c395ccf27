package mockaccel

// The Go and TypeScript clients against one JSON fixture (testdata/fake-tree.json): each builds
// its own fake tree from the fixture's topology, discovers it and produces the device list and
// DRA attributes; both must equal the fixture's `devices`
// (packages/sysfs-client/test/go-parity.test.ts is the TypeScript side).

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/fake-tree.json's devices from what the Go client reads")

const fixturePath = "testdata/fake-tree.json"

type fixtureVF struct {
	UUID         string  `json:"uuid,omitempty"`
	MemorySize   uint64  `json:"memorySize,omitempty"`
	Capabilities *uint32 `json:"capabilities,omitempty"`
	FWVersion    string  `json:"fwVersion,omitempty"`
}

type fixturePF struct {
	fixtureVF
	Name       string      `json:"name,omitempty"`
	NUMANode   int         `json:"numaNode,omitempty"`
	TotalVFs   int         `json:"totalVfs,omitempty"`
	EnabledVFs int         `json:"enabledVfs,omitempty"`
	VFs        []fixtureVF `json:"vfs,omitempty"`
}

type fixture struct {
	Comment  string            `json:"comment"`
	Topology []fixturePF       `json:"topology"`
	Devices  []json.RawMessage `json:"devices"`
}

func semverOf(t *testing.T, s string) *SemVer {
	if s == "" {
		return nil
	}
	p := strings.Split(s, ".")
	var n [3]uint32
	for i := range n {
		v, err := strconv.ParseUint(p[i], 10, 32)
		if err != nil {
			t.Fatalf("fixture fwVersion %q: %v", s, err)
		}
		n[i] = uint32(v)
	}
	return &SemVer{Major: n[0], Minor: n[1], Patch: n[2]}
}

// deviceView is what both clients must agree on; paths relative to the (real) sysfs root.
func deviceView(t *testing.T, realRoot string, d Device) map[string]any {
	rel := func(p string) string {
		r, err := filepath.Rel(realRoot, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var vfIndex, pf any
	if d.Kind == KindVF {
		vfIndex = d.Index
		var name any
		if d.PF.Name != "" {
			name = d.PF.Name
		}
		pf = map[string]any{"name": name, "pciAddress": d.PF.PCIAddress}
	}
	label, err := DNSLabelName(d.Name)
	if err != nil {
		t.Fatal(err)
	}
	dra, err := d.DRAAttributes("")
	if err != nil {
		t.Fatal(err)
	}
	// Every readable attribute file's text: the two fakes write the same files.
	texts := map[string]string{}
	for _, s := range Attributes {
		if s.Readable && d.Has(s.Name) {
			b, err := os.ReadFile(filepath.Join(d.Path, string(s.Name)))
			if err != nil {
				t.Fatal(err)
			}
			texts[string(s.Name)] = string(b)
		}
	}
	return map[string]any{
		"name": d.Name, "kind": d.Kind, "pciAddress": d.PCIAddress, "numaNode": d.NUMA, "vendorId": d.VendorID,
		"deviceId": d.DeviceID, "classCode": d.ClassCode, "pcieRoot": d.PCIeRoot, "vfIndex": vfIndex, "pf": pf,
		"path": rel(d.Path), "pciPath": rel(d.PCIPath), "devicePath": d.DevicePath(), "resourceSliceName": label, "dra": dra, "texts": texts,
	}
}

// normalize round-trips through JSON so Go values and fixture text compare as plain data.
func normalize(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSharedFixture(t *testing.T) {
	raw, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatalf("%s: %v", fixturePath, err)
	}
	var pfs []FakePF
	for _, p := range fx.Topology {
		pf := FakePF{Name: p.Name, UUID: p.UUID, MemorySize: p.MemorySize, NUMANode: p.NUMANode, Capabilities: p.Capabilities,
			FWVersion: semverOf(t, p.FWVersion), TotalVFs: p.TotalVFs, EnabledVFs: p.EnabledVFs}
		for _, v := range p.VFs {
			pf.VFs = append(pf.VFs, FakeVF{UUID: v.UUID, MemorySize: v.MemorySize, Capabilities: v.Capabilities, FWVersion: semverOf(t, v.FWVersion)})
		}
		pfs = append(pfs, pf)
	}
	fake, err := NewFakeSysfs(t.TempDir(), pfs)
	if err != nil {
		t.Fatal(err)
	}
	devices, err := Discover(fake.Root)
	if err != nil {
		t.Fatal(err)
	}
	realRoot, err := filepath.EvalSymlinks(fake.Root)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, d := range devices {
		got = append(got, normalize(t, deviceView(t, realRoot, d)))
	}
	if *update {
		fx.Devices = nil
		for _, g := range got {
			b, _ := json.Marshal(g)
			fx.Devices = append(fx.Devices, b)
		}
		b, err := json.MarshalIndent(fx, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixturePath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := normalize(t, fx.Devices)
	if !reflect.DeepEqual(normalize(t, got), want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		t.Fatalf("the Go client's view of the fixture's tree differs from %s:\n%s", fixturePath, gotJSON)
	}
}
