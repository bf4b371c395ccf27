// kubelet-go calls a DRA plugin the way the kubelet does, with the kubelet's own client code
// (k8s.io/kubelet's generated DRAPlugin client over grpc-go on the plugin's UNIX socket), and
// prints how long each NodePrepareResources and NodeUnprepareResources of one claim took, as
// one JSON line. The benchmark uses it so that the time measured is the plugin's and not a
// JavaScript client's: the kubelet stand-in (grpc-js under Bun) takes about 3 ms a call itself.
//
//	kubelet-go -socket PATH -namespace NS -name NAME -uid UID -rounds N
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	drapb "k8s.io/kubelet/pkg/apis/dra/v1"
)

type result struct {
	PrepareUs   []float64 `json:"prepareUs"`
	UnprepareUs []float64 `json:"unprepareUs"`
}

func main() {
	socket := flag.String("socket", "", "the plugin's DRA socket (the endpoint its registration names)")
	namespace := flag.String("namespace", "default", "the claim's namespace")
	name := flag.String("name", "", "the claim's name")
	uid := flag.String("uid", "", "the claim's UID")
	rounds := flag.Int("rounds", 40, "how many prepare + unprepare pairs")
	flag.Parse()
	if *socket == "" || *name == "" || *uid == "" || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: kubelet-go -socket PATH -name NAME -uid UID [-namespace NS] [-rounds N]")
		os.Exit(2)
	}
	if err := run(*socket, &drapb.Claim{Namespace: *namespace, Name: *name, Uid: *uid}, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "kubelet-go:", err)
		os.Exit(1)
	}
}

func run(socket string, claim *drapb.Claim, rounds int) error {
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := drapb.NewDRAPluginClient(conn)
	var out result
	for i := 0; i < rounds; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		prepared, err := client.NodePrepareResources(ctx, &drapb.NodePrepareResourcesRequest{Claims: []*drapb.Claim{claim}})
		if err == nil && prepared.Claims[claim.Uid].GetError() != "" {
			err = fmt.Errorf("prepare: %s", prepared.Claims[claim.Uid].GetError())
		}
		mid := time.Now()
		var unprepared *drapb.NodeUnprepareResourcesResponse
		if err == nil {
			unprepared, err = client.NodeUnprepareResources(ctx, &drapb.NodeUnprepareResourcesRequest{Claims: []*drapb.Claim{claim}})
		}
		if err == nil && unprepared.Claims[claim.Uid].GetError() != "" {
			err = fmt.Errorf("unprepare: %s", unprepared.Claims[claim.Uid].GetError())
		}
		end := time.Now()
		cancel()
		if err != nil {
			return fmt.Errorf("round %d: %w", i, err)
		}
		out.PrepareUs = append(out.PrepareUs, float64(mid.Sub(start).Nanoseconds())/1e3)
		out.UnprepareUs = append(out.UnprepareUs, float64(end.Sub(mid).Nanoseconds())/1e3)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
