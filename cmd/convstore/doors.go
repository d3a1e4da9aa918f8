package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/convstore/convstore/convhttp/doors"
)

// doorAddrFlag is the flag naming a vendor door's own listener.
func doorAddrFlag(name string) string { return name + "-addr" }

// doorAddrEnv is the environment variable of doorAddrFlag.
func doorAddrEnv(name string) string { return "CONVSTORE_" + strings.ToUpper(name) + "_ADDR" }

// registerDoorFlags binds --<door>-addr for every vendor door and
// --all-doors.
func (c *Config) registerDoorFlags(fs *flagSet) {
	if c.DoorAddrs == nil {
		c.DoorAddrs = map[string]string{}
	}
	for _, name := range doors.Names() {
		fs.Var(mapValue{c.DoorAddrs, name}, doorAddrFlag(name), "also serve the "+name+" door at the root of this `address` (it is always on the main listener under "+doors.CompatPrefix(name)+"/)")
		fs.bindEnv(doorAddrFlag(name), doorAddrEnv(name))
	}
	fs.BoolVar(&c.AllDoors, "all-doors", c.AllDoors, "serve every vendor door on its own listener, on consecutive ports after --addr ("+strings.Join(doors.Names(), ", ")+"), unless its --<door>-addr is set")
	fs.bindEnv("all-doors", "CONVSTORE_ALL_DOORS")
}

// mapValue is a flag that sets one key of a map.
type mapValue struct {
	m   map[string]string
	key string
}

func (v mapValue) String() string {
	if v.m == nil {
		return ""
	}
	return v.m[v.key]
}

func (v mapValue) Set(s string) error {
	v.m[v.key] = s
	return nil
}

// DoorListeners returns the vendor doors that get a listener of their own,
// in doors.All order, with their addresses: those named by --<door>-addr,
// and with AllDoors every other door on the port of --addr plus its
// position (port 0 stays 0: a free port each).
func (c Config) DoorListeners() ([]DoorListener, error) {
	var out []DoorListener
	host, port, err := splitPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	for i, name := range doors.Names() {
		addr := c.DoorAddrs[name]
		if addr == "" && c.AllDoors {
			p := 0
			if port != 0 {
				p = port + 1 + i
			}
			if p > 65535 {
				return nil, fmt.Errorf("--all-doors: port %d of the %s door is past 65535; choose a lower --addr port or set --%s", p, name, doorAddrFlag(name))
			}
			addr = net.JoinHostPort(host, strconv.Itoa(p))
		}
		if addr == "" {
			continue
		}
		if _, _, err := splitPort(addr); err != nil {
			return nil, fmt.Errorf("--%s %q: %w", doorAddrFlag(name), addr, err)
		}
		out = append(out, DoorListener{Door: name, Addr: addr})
	}
	return out, nil
}

// DoorListener is a vendor door's own listen address.
type DoorListener struct {
	Door string
	Addr string
}

// splitPort splits "host:port" and checks the port.
func splitPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("want host:port: %w", err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 0 to 65535", p)
	}
	return host, port, nil
}
