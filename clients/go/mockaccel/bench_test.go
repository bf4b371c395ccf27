package mockaccel

import "testing"

// The TypeScript client's bench topology (packages/sysfs-client/bench): 4 NUMA nodes x 8 PFs x
// 7 VFs, all enabled, 256 devices. Numbers go to `bun run bench` (clients/go/bench), never to tests.
func benchTree(b *testing.B) *FakeSysfs {
	pfs := make([]FakePF, 32)
	for i := range pfs {
		pfs[i] = FakePF{NUMANode: i % 4, TotalVFs: 7, EnabledVFs: 7}
	}
	f, err := NewFakeSysfs(b.TempDir(), pfs)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

func BenchmarkDiscover256(b *testing.B) {
	f := benchTree(b)
	for b.Loop() {
		devices, err := Discover(f.Root)
		if err != nil || len(devices) != 256 {
			b.Fatalf("%d devices, %v", len(devices), err)
		}
	}
}

func BenchmarkDRAAttributesPF(b *testing.B) {
	f := benchTree(b)
	devices, err := Discover(f.Root)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := devices[0].DRAAttributes(""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemorySize(b *testing.B) {
	f, err := NewFakeSysfs(b.TempDir(), []FakePF{{}})
	if err != nil {
		b.Fatal(err)
	}
	devices, err := Discover(f.Root)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := devices[0].MemorySize(); err != nil {
			b.Fatal(err)
		}
	}
}
