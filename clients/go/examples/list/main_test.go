package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	resourceapi "k8s.io/api/resource/v1"

	"github.com/mock-accel/mock-accel/clients/go/mockaccel"
)

func TestListFakeTree(t *testing.T) {
	var out strings.Builder
	if err := run([]string{"-fake", "-domain", "accel.example.org"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(out.String(), "\n", 3)
	if lines[0] != "mock0 pf 0000:21:00.0 numa=1 16GiB pf=- /dev/mock0" || lines[1] != "mock0_vf0 vf 0000:21:00.1 numa=1 2GiB pf=mock0 /dev/mock0_vf0" {
		t.Fatalf("listing:\n%s", out.String())
	}
	var slice []resourceapi.Device
	if err := json.Unmarshal([]byte(lines[2]), &slice); err != nil {
		t.Fatal(err)
	}
	if len(slice) != 2 || slice[1].Name != "mock0-vf0" || *slice[1].Attributes["accel.example.org/encryption"].BoolValue {
		t.Fatalf("devices %+v", slice)
	}
	if q := slice[0].Capacity["accel.example.org/memory"].Value; q.String() != "16Gi" {
		t.Fatalf("memory %s", q.String())
	}
}

func TestListWithoutDriver(t *testing.T) {
	err := run([]string{"-root", t.TempDir()}, &strings.Builder{})
	if !errors.Is(err, mockaccel.ErrDriverNotLoaded) {
		t.Fatalf("got %v", err)
	}
}
