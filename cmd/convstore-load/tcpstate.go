package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// tcpEstablished is the state number of an established socket in
// /proc/net/tcp.
const tcpEstablished = 1

// establishedFrom returns, for every IPv4 socket whose local end is
// server, the client addresses ("127.0.0.2:40123") of those still
// established. A connection the server has closed (or reset) leaves the
// set, even while unsent data or a FIN still waits on a client that does
// not read.
func establishedFrom(server string) (map[string]bool, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		local, err1 := procAddr(fields[1])
		remote, err2 := procAddr(fields[2])
		state, err3 := strconv.ParseUint(fields[3], 16, 8)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if local == server && state == tcpEstablished {
			out[remote] = true
		}
	}
	return out, sc.Err()
}

// procAddr decodes an address of /proc/net/tcp: "0100007F:1F90" is
// 127.0.0.1:8080 (the IPv4 address in host byte order, the port in hex).
func procAddr(s string) (string, error) {
	ipHex, portHex, ok := strings.Cut(s, ":")
	b, err := hex.DecodeString(ipHex)
	if !ok || err != nil || len(b) != 4 {
		return "", fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return "", err
	}
	ip := net.IPv4(b[3], b[2], b[1], b[0]) // little-endian hosts
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port))), nil
}
