// Command mockaccel-discover prints every mock-accel device under a sysfs root as one JSON line:
// the device as the TypeScript client's toJSON() shows it plus its ResourceSlice attributes and
// capacity ("dra"). The end-to-end test runs it in a real guest next to the TypeScript client's
// discovery and compares the two.
//
//	mockaccel-discover [-root /sys] [-domain mock-accel.example.com]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/mock-accel/mock-accel/clients/go/mockaccel"
)

func main() {
	root := flag.String("root", "/sys", "where sysfs is mounted")
	domain := flag.String("domain", mockaccel.DefaultDomain, "attribute domain")
	flag.Parse()
	out, err := discover(*root, *domain)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mockaccel-discover:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

type entry struct {
	mockaccel.Device
	DRA mockaccel.DRAEntry `json:"dra"`
}

// MarshalJSON puts "dra" next to the device's own fields (an embedded type's MarshalJSON would
// otherwise be the whole output).
func (e entry) MarshalJSON() ([]byte, error) {
	device, err := json.Marshal(e.Device)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(device, &fields); err != nil {
		return nil, err
	}
	if fields["dra"], err = json.Marshal(e.DRA); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

func discover(root, domain string) ([]byte, error) {
	devices, err := mockaccel.Discover(root)
	if err != nil {
		return nil, err
	}
	out := []entry{}
	for _, d := range devices {
		dra, err := d.DRAAttributes(domain)
		if err != nil {
			return nil, err
		}
		out = append(out, entry{Device: d, DRA: dra})
	}
	return json.Marshal(out)
}
