// Command list is what a DRA driver written in Go starts from: discover the mock-accel devices
// on this node, print them, and build the ResourceSlice device list a kubelet plugin publishes.
//
//	go run ./examples/list                 # on a guest with mock_accel.ko loaded (/sys)
//	go run ./examples/list -root DIR       # a fake tree (e.g. from mockaccel.NewFakeSysfs)
//	go run ./examples/list -fake           # builds a small fake tree in a temp dir first
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	resourceapi "k8s.io/api/resource/v1"

	"github.com/mock-accel/mock-accel/clients/go/mockaccel"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("list", flag.ContinueOnError)
	root := flags.String("root", "/sys", "where sysfs is mounted")
	fake := flags.Bool("fake", false, "discover a fake tree (one PF on NUMA node 1 with 2 VFs, one enabled) instead of -root")
	domain := flags.String("domain", mockaccel.DefaultDomain, "attribute domain (the driver name)")
	if err := flags.Parse(args); err != nil {
		return err
	}

	if *fake {
		dir, err := os.MkdirTemp("", "mock-accel-sysfs-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if _, err := mockaccel.NewFakeSysfs(dir, []mockaccel.FakePF{{NUMANode: 1, TotalVFs: 2, EnabledVFs: 1}}); err != nil {
			return err
		}
		*root = dir
	}

	devices, err := mockaccel.Discover(*root)
	if err != nil {
		return err // errors.Is(err, mockaccel.ErrDriverNotLoaded) when the module is not loaded
	}
	var slice []resourceapi.Device
	for _, d := range devices {
		memory, err := d.MemorySize()
		if err != nil {
			return err // names the file and the text it could not parse
		}
		pf := "-"
		if d.PF != nil {
			pf = d.PF.Name
		}
		fmt.Fprintf(stdout, "%s %s %s numa=%d %dGiB pf=%s %s\n", d.Name, d.Kind, d.PCIAddress, d.NUMA, memory>>30, pf, d.DevicePath())

		entry, err := d.ResourceSliceDevice(*domain)
		if err != nil {
			return err
		}
		slice = append(slice, entry)
	}
	// What goes in ResourceSlice.spec.devices (the kubelet plugin helper publishes it).
	out, err := json.MarshalIndent(slice, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}
