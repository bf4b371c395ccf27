package mockaccel

// The module as a DRA driver author consumes it from a checkout: a scratch module outside this
// one that requires it through a `replace` to the checkout builds and runs. Offline: the
// dependencies come from the module cache (the README's test command fills it first).

import (
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const modulePath = "github.com/mock-accel/mock-accel/clients/go"

// readmeExample is the README's Go program and the output block after it.
func readmeExample(t *testing.T) (string, []string) {
	text, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := fence.FindAllStringSubmatch(string(text), -1)
	for i, b := range blocks {
		if b[1] == "go" && i+1 < len(blocks) {
			return b[2], strings.Split(strings.TrimRight(blocks[i+1][2], "\n"), "\n")
		}
	}
	t.Fatal("README.md has no go block followed by its output")
	return "", nil
}

var fence = regexp.MustCompile("(?ms)^```(\\w*)\n(.*?)^```$")

func TestScratchModuleRequiresTheCheckout(t *testing.T) {
	checkout, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	goMod := "module example.com/scratch\n\ngo 1.26\n\nrequire " + modulePath + " v0.0.0\n\nreplace " + modulePath + " => " + checkout + "\n"
	main, want := readmeExample(t)
	if formatted, err := format.Source([]byte(main)); err != nil || string(formatted) != main {
		t.Errorf("the README's Go example is not gofmt-clean (%v)", err)
	}
	for name, text := range map[string]string{"go.mod": goMod, "main.go": main} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// go.sum entries of the checkout cover the scratch module's dependencies (same versions).
	sum, err := os.ReadFile(filepath.Join(checkout, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", filepath.Join(dir, "scratch"), ".")
	build.Dir = dir
	// Offline: the module cache has what the checkout's go.sum lists.
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in a scratch module: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(dir, "scratch")).CombinedOutput()
	if err != nil {
		t.Fatalf("scratch: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("printed %d lines, README shows %d:\n%s", len(got), len(want), out)
	}
	for i, line := range want {
		// "…" in the README stands for what differs per run (the temporary directory).
		parts := strings.Split(line, "…")
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		if !regexp.MustCompile("^" + strings.Join(parts, ".*?") + "$").MatchString(got[i]) {
			t.Errorf("line %d: got %q, README says %q", i+1, got[i], line)
		}
	}
}
