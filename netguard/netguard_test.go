package netguard

import (
	"net/netip"
	"testing"
)

func TestForbidden(t *testing.T) {
	for _, tc := range []struct {
		addr           string
		bad, badAlways bool
	}{
		{"8.8.8.8", false, false},
		{"2606:4700:4700::1111", false, false},
		{"127.0.0.1", true, false},
		{"127.8.9.1", true, false},
		{"::1", true, false},
		{"10.1.2.3", true, false},
		{"172.16.0.1", true, false},
		{"172.32.0.1", false, false},
		{"192.168.1.1", true, false},
		{"fd12:3456::1", true, false},
		{"100.64.0.1", true, false},
		{"169.254.1.1", true, false},
		{"fe80::1", true, false},
		{"fe80::1%eth0", true, false},
		{"169.254.169.254", true, true},
		{"fd00:ec2::254", true, true},
		{"::ffff:169.254.169.254", true, true},
		{"::ffff:127.0.0.1", true, false},
		{"64:ff9b::a9fe:a9fe", true, true}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", false, false},
		{"0.0.0.0", true, true},
		{"::", true, true},
		{"224.0.0.1", true, true},
		{"ff02::1", true, true},
		{"255.255.255.255", true, true},
		{"192.0.2.10", true, true},
	} {
		ip := netip.MustParseAddr(tc.addr)
		if reason, bad := Forbidden(ip); bad != tc.bad || (bad && reason == "") {
			t.Errorf("Forbidden(%s) = %q, %v; want bad %v", tc.addr, reason, bad, tc.bad)
		}
		if _, bad := Check(ip, true); bad != tc.badAlways {
			t.Errorf("Check(%s, allow private) bad = %v, want %v", tc.addr, bad, tc.badAlways)
		}
		if _, bad := Check(ip, false); bad != tc.bad {
			t.Errorf("Check(%s, no private) bad = %v, want %v", tc.addr, bad, tc.bad)
		}
	}
	if _, bad := Forbidden(netip.Addr{}); !bad {
		t.Error("the zero Addr passes")
	}
}
