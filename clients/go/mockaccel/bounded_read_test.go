package mockaccel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within fails the test if fn has not returned after a few seconds: a read that waits on a
// FIFO never returns, and the test must say so instead of hanging.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still blocked after 10 s", what)
		return nil
	}
}

func TestAFIFOInPlaceOfAnAttributeIsRefusedAtOnce(t *testing.T) {
	f := fakeTree(t, FakePF{})
	pf := device(t, f, "mock0")
	dir, _ := f.ClassPath("mock0")
	path := filepath.Join(dir, "status")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	err := within(t, "Status() on a FIFO", func() error { _, err := pf.Status(); return err })
	var ae *AttributeError
	if !errors.As(err, &ae) || !errors.Is(err, syscall.EINVAL) || ae.Path != path {
		t.Fatalf("want an AttributeError wrapping EINVAL for %s, got %v", path, err)
	}
}

func TestAFIFOInPlaceOfAPCIFileFailsDiscoveryAtOnce(t *testing.T) {
	f := fakeTree(t, FakePF{})
	pf := device(t, f, "mock0")
	path := filepath.Join(pf.PCIPath, "uevent")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	err := within(t, "Discover() with a FIFO uevent", func() error { _, err := Discover(f.Root); return err })
	var le *LayoutError
	if !errors.As(err, &le) || !errors.Is(err, syscall.EINVAL) || le.Path != path {
		t.Fatalf("want a LayoutError wrapping EINVAL for %s, got %v", path, err)
	}
}

func TestAnAttributeLongerThanAPageIsRefused(t *testing.T) {
	f := fakeTree(t, FakePF{})
	pf := device(t, f, "mock0")
	if err := f.SetRawAttribute("mock0", AttrFWVersion, strings.Repeat("1", 8<<20)); err != nil {
		t.Fatal(err)
	}
	_, err := pf.FWVersion()
	if !errors.Is(err, syscall.EFBIG) || len(err.Error()) > 500 {
		t.Fatalf("want EFBIG and a short message, got %.300v", err)
	}
	// A page exactly is what sysfs may show: read whole (then refused by the parser, not the size).
	if err := f.SetRawAttribute("mock0", AttrFWVersion, strings.Repeat("1", sysfsMaxBytes)); err != nil {
		t.Fatal(err)
	}
	if _, err := pf.FWVersion(); !errors.Is(err, ErrParse) {
		t.Fatalf("a page of text: want a parse error, got %.300v", err)
	}
}

func TestAMissingAttributeIsStillNotExist(t *testing.T) {
	f := fakeTree(t, FakePF{})
	pf := device(t, f, "mock0")
	dir, _ := f.ClassPath("mock0")
	if err := os.Remove(filepath.Join(dir, "status")); err != nil {
		t.Fatal(err)
	}
	if _, err := pf.Status(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want ErrNotExist, got %v", err)
	}
}
