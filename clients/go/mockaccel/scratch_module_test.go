package mockaccel

// The module as a DRA driver author consumes it from a checkout: a scratch module outside this
// one that requires it through a `replace` to the checkout builds and runs. Offline: the
// dependencies come from the module cache (the README's test command fills it first).

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const modulePath = "github.com/mock-accel/mock-accel/clients/go"

func TestScratchModuleRequiresTheCheckout(t *testing.T) {
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/scratch\n\ngo 1.26\n\nrequire " + modulePath + " v0.0.0\n\nreplace " + modulePath + " => " + checkout + "\n"
	main := `package main

import (
	"fmt"
	"os"

	"` + modulePath + `/mockaccel"
)

func main() {
	if _, err := mockaccel.NewFakeSysfs(os.Args[1], []mockaccel.FakePF{{TotalVFs: 1, EnabledVFs: 1}}); err != nil {
		panic(err)
	}
	devices, err := mockaccel.Discover(os.Args[1])
	if err != nil {
		panic(err)
	}
	for _, d := range devices {
		e, err := d.DRAAttributes("")
		if err != nil {
			panic(err)
		}
		memory := e.Capacity[mockaccel.DefaultDomainQualified("memory")].Value
		fmt.Println(d.Name, len(e.Attributes), memory.String())
	}
}
`
	for name, text := range map[string]string{"go.mod": goMod, "main.go": main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := func(args ...string) string {
		c := exec.Command(goTool, args...)
		c.Dir = dir
		// Offline unless the caller configured otherwise: the cache has what the checkout's go.sum lists.
		c.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// go.sum entries of the checkout cover the scratch module's dependencies (same versions).
	sum, err := os.ReadFile(filepath.Join(checkout, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd("build", "-o", filepath.Join(dir, "scratch"), ".")
	out, err := exec.Command(filepath.Join(dir, "scratch"), t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("scratch: %v\n%s", err, out)
	}
	if got := string(out); got != "mock0 11 16Gi\nmock0_vf0 12 2Gi\n" {
		t.Fatalf("scratch printed %q", got)
	}
}
