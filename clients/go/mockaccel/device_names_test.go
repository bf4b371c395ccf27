package mockaccel

import "testing"

func TestDeviceNamesParseBack(t *testing.T) {
	for _, pf := range []int{0, 1, 9, 10, 123} {
		if p, v, ok := ParseDeviceName(PFDeviceName(pf)); !ok || p != pf || v != -1 {
			t.Errorf("ParseDeviceName(%q) = %d, %d, %v", PFDeviceName(pf), p, v, ok)
		}
		for _, vf := range []int{0, 6, 10} {
			if p, v, ok := ParseDeviceName(VFDeviceName(pf, vf)); !ok || p != pf || v != vf {
				t.Errorf("ParseDeviceName(%q) = %d, %d, %v", VFDeviceName(pf, vf), p, v, ok)
			}
		}
	}
	pf := PFDeviceName(1)
	for _, name := range []string{"", "x", pf + "x", "x" + pf, PFDeviceName(0) + "1" + "x"} {
		if _, _, ok := ParseDeviceName(name); ok {
			t.Errorf("ParseDeviceName(%q) parsed", name)
		}
	}
}

func TestFakePFWithVFsNeedsADriverName(t *testing.T) {
	_, err := NewFakeSysfs(t.TempDir(), []FakePF{{Name: "a", TotalVFs: 1}})
	if err == nil {
		t.Fatal("a PF named 'a' with a VF was accepted")
	}
}
