// gobgp-inject loads host routes into a running gobgpd through its gRPC API, the fastest way a GoBGP user has:
// AddPathStream with many paths per request, then CloseAndRecv so that gobgpd has taken every path before the
// program exits (the gobgp 3.10 CLI's `mrt inject` skips that call and loses the tail of the stream). It can also
// enable a neighbour that was configured admin-down (so every route is in the RIB before the session comes up)
// and withdraw every locally originated path of a family with one DeletePath call.
//
// Built in GOPATH mode against Debian's packages (see ../README.md):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gobgp-inject .
//
// Usage:
//
//	gobgp-inject -api 127.0.0.1:50051 -prefixes FILE -nexthop 10.99.0.2 [-batch 1000] [-enable 10.99.0.1]
//	gobgp-inject -api 127.0.0.1:50051 -withdraw -family ipv4
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	api "github.com/osrg/gobgp/api"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func main() {
	address := flag.String("api", "127.0.0.1:50051", "gobgpd gRPC address")
	prefixFile := flag.String("prefixes", "", "file with one host address per line (IPv4 or IPv6, all one family)")
	nextHop := flag.String("nexthop", "", "next hop of every path")
	batch := flag.Int("batch", 1000, "paths per AddPathStream request")
	enable := flag.String("enable", "", "after injecting, enable this neighbour (configured admin-down)")
	withdraw := flag.Bool("withdraw", false, "withdraw every locally originated path of -family (one DeletePath)")
	familyName := flag.String("family", "ipv4", "ipv4 or ipv6 (for -withdraw)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := grpc.DialContext(ctx, *address, grpc.WithInsecure(), grpc.WithBlock())
	check(err, "connect to gobgpd at %s", *address)
	defer conn.Close()
	client := api.NewGobgpApiClient(conn)

	if *withdraw {
		family := familyOf(*familyName == "ipv6")
		_, err := client.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Family: family})
		check(err, "DeletePath")
		return
	}
	if *prefixFile == "" || *nextHop == "" {
		fail("-prefixes and -nexthop are required (or -withdraw)")
	}
	addresses := readLines(*prefixFile)
	if len(addresses) == 0 {
		fail("%s holds no addresses", *prefixFile)
	}
	ipv6 := strings.Contains(addresses[0], ":")
	attributes := commonAttributes(ipv6, *nextHop)
	family := familyOf(ipv6)
	length := uint32(32)
	if ipv6 {
		length = 128
	}

	stream, err := client.AddPathStream(ctx)
	check(err, "AddPathStream")
	paths := make([]*api.Path, 0, *batch)
	flush := func() {
		if len(paths) == 0 {
			return
		}
		err := stream.Send(&api.AddPathStreamRequest{TableType: api.TableType_GLOBAL, Paths: paths})
		check(err, "AddPathStream send")
		paths = make([]*api.Path, 0, *batch)
	}
	for _, address := range addresses {
		if net.ParseIP(address) == nil {
			fail("not an IP address: %q", address)
		}
		nlri, err := anypb.New(&api.IPAddressPrefix{PrefixLen: length, Prefix: address})
		check(err, "encode NLRI")
		attrs := attributes
		if ipv6 {
			// For IPv6 the NLRI travels inside MP_REACH_NLRI, so that attribute differs per path.
			reach, err := anypb.New(&api.MpReachNLRIAttribute{
				Family: family, NextHops: []string{*nextHop}, Nlris: []*anypb.Any{nlri}})
			check(err, "encode MP_REACH_NLRI")
			attrs = append(append([]*anypb.Any{}, attributes...), reach)
		}
		paths = append(paths, &api.Path{Family: family, Nlri: nlri, Pattrs: attrs})
		if len(paths) == *batch {
			flush()
		}
	}
	flush()
	// CloseAndRecv returns once gobgpd has processed the whole stream.
	_, err = stream.CloseAndRecv()
	check(err, "AddPathStream close")

	if *enable != "" {
		_, err := client.EnablePeer(ctx, &api.EnablePeerRequest{Address: *enable})
		check(err, "EnablePeer %s", *enable)
	}
}

// commonAttributes returns ORIGIN IGP, an empty AS_PATH (gobgpd prepends its AS towards eBGP peers) and, for IPv4,
// NEXT_HOP: the attributes every path shares.
func commonAttributes(ipv6 bool, nextHop string) []*anypb.Any {
	messages := []proto.Message{&api.OriginAttribute{Origin: 0}, &api.AsPathAttribute{}}
	if !ipv6 {
		messages = append(messages, &api.NextHopAttribute{NextHop: nextHop})
	}
	attributes := make([]*anypb.Any, 0, len(messages))
	for _, message := range messages {
		attribute, err := anypb.New(message)
		check(err, "encode attribute")
		attributes = append(attributes, attribute)
	}
	return attributes
}

func familyOf(ipv6 bool) *api.Family {
	if ipv6 {
		return &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
	}
	return &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
}

func readLines(path string) []string {
	file, err := os.Open(path)
	check(err, "open %s", path)
	defer file.Close()
	var lines []string
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		if line := strings.TrimSpace(scanner.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	check(scanner.Err(), "read %s", path)
	return lines
}

func check(err error, format string, args ...interface{}) {
	if err != nil {
		fail("%s: %v", fmt.Sprintf(format, args...), err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gobgp-inject: "+format+"\n", args...)
	os.Exit(1)
}
