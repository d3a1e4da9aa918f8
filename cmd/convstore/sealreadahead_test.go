package main

import (
	"io"
	"testing"

	"github.com/convstore/convstore/service"
)

// TestSealReadAheadFlag: --seal-read-ahead and CONVSTORE_SEAL_READ_AHEAD
// turn the service's read-ahead on; it is off by default.
func TestSealReadAheadFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"default", nil, nil, false},
		{"flag", []string{"--seal-read-ahead"}, nil, true},
		{"env", nil, map[string]string{"CONVSTORE_SEAL_READ_AHEAD": "true"}, true},
		{"flag over env", []string{"--seal-read-ahead=false"}, map[string]string{"CONVSTORE_SEAL_READ_AHEAD": "true"}, false},
	} {
		cfg := DefaultConfig()
		fs := newFlagSet("serve", "convstore serve [flags]", "", io.Discard)
		cfg.registerFlags(fs)
		if _, err := fs.parse(c.args, func(k string) string { return c.env[k] }); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var opts service.Options
		cfg.sealOptions(&opts)
		if opts.ReadAhead != c.want {
			t.Errorf("%s: ReadAhead = %v, want %v", c.name, opts.ReadAhead, c.want)
		}
	}
}
