package main

import (
	"encoding/json"
	"testing"

	"github.com/mock-accel/mock-accel/clients/go/mockaccel"
)

func TestDiscoverJSON(t *testing.T) {
	f, err := mockaccel.NewFakeSysfs(t.TempDir(), []mockaccel.FakePF{{TotalVFs: 1, EnabledVFs: 1}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := discover(f.Root, mockaccel.DefaultDomain)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0]["vfIndex"] != nil || got[0]["pf"] != nil || got[1]["vfIndex"] != float64(0) {
		t.Fatalf("devices %s", out)
	}
	pf := got[1]["pf"].(map[string]any)
	if pf["name"] != "mock0" || pf["pciAddress"] != "0000:11:00.0" {
		t.Fatalf("pf %v", pf)
	}
	dra := got[1]["dra"].(map[string]any)["attributes"].(map[string]any)
	if dra["mock-accel.example.com/physFn"].(map[string]any)["string"] != "0000:11:00.0" {
		t.Fatalf("dra %v", dra)
	}
}
