// Package doors lists the vendor-compatible API doors and builds the
// servers that expose them: each door on the main listener under
// /compat/<name>, and on a listener of its own at the root, where the
// vendor's paths are exactly as documented (some SDKs drop a path prefix
// from their base URL).
package doors

import (
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/elevenlabs"
	"github.com/convstore/convstore/convhttp/inkeep"
	"github.com/convstore/convstore/convhttp/openai"
	"github.com/convstore/convstore/convhttp/stammer"
	"github.com/convstore/convstore/convhttp/symbl"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// Door is one vendor door: its name and how to build it on a server.
type Door struct {
	Name string
	New  func(s *convhttp.Server) convhttp.Door
}

// All returns the vendor doors in a fixed order, the order in which
// "serve --all-doors" gives them consecutive ports.
func All() []Door {
	return []Door{
		{stammer.DoorName, func(s *convhttp.Server) convhttp.Door { return stammer.New(s) }},
		{symbl.DoorName, func(s *convhttp.Server) convhttp.Door { return symbl.New(s) }},
		{elevenlabs.DoorName, func(s *convhttp.Server) convhttp.Door { return elevenlabs.New(s) }},
		{botpress.DoorName, func(s *convhttp.Server) convhttp.Door { return botpress.New(s) }},
		{inkeep.DoorName, func(s *convhttp.Server) convhttp.Door { return inkeep.New(s) }},
		{openai.DoorName, func(s *convhttp.Server) convhttp.Door { return openai.New(s) }},
	}
}

// Names returns the vendor doors' names in All's order.
func Names() []string {
	var names []string
	for _, d := range All() {
		names = append(names, d.Name)
	}
	return names
}

// CompatPrefix is where a vendor door is mounted on the main listener.
func CompatPrefix(name string) string { return "/compat/" + name }

// NewMainServer returns the main listener's server: the native API at the
// root and every vendor door under /compat/<name>.
func NewMainServer(cfg convhttp.Config) *convhttp.Server {
	s := v1.NewServer(cfg)
	for _, d := range All() {
		s.Mount(CompatPrefix(d.Name), d.New(s))
	}
	return s
}

// NewDoorServer returns the server of a vendor door's own listener: that
// door at the root (and the health probes). ok is false for an unknown name.
func NewDoorServer(cfg convhttp.Config, name string) (s *convhttp.Server, ok bool) {
	for _, d := range All() {
		if d.Name == name {
			s = convhttp.NewServer(cfg)
			s.Mount("/", d.New(s))
			return s, true
		}
	}
	return nil, false
}
