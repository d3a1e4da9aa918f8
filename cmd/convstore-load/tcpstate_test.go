package main

import (
	"net"
	"testing"
)

func TestProcAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0100007F:1F90": "127.0.0.1:8080",
		"0700007F:0050": "127.0.0.7:80",
	} {
		if got, err := procAddr(in); err != nil || got != want {
			t.Errorf("procAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := procAddr("00000000000000000000000001000000:1F90"); err == nil {
		t.Error("an IPv6 address was accepted")
	}
}

// TestEstablishedFrom finds an open loopback connection by its client
// address, and loses it once the server's end closes it.
func TestEstablishedFrom(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	est, err := establishedFrom(ln.Addr().String())
	if err != nil || !est[c.LocalAddr().String()] {
		t.Fatalf("open connection not found: %v %v", est, err)
	}
	sc.Close()
	est, err = establishedFrom(ln.Addr().String())
	if err != nil || est[c.LocalAddr().String()] {
		t.Fatalf("closed connection still established: %v %v", est, err)
	}
}
