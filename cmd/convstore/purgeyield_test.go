package main

import (
	"testing"

	"github.com/convstore/convstore/service"
)

// --purge-yield (or CONVSTORE_PURGE_YIELD) reaches the service as
// Options.PurgeYield: the default by default, 0 as never pausing; values
// out of range are refused.
func TestPurgeYieldFlag(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		env  map[string]string
		want float64
	}{
		{nil, nil, service.DefaultPurgeYield},
		{[]string{"--purge-yield", "2.5"}, nil, 2.5},
		{nil, map[string]string{"CONVSTORE_PURGE_YIELD": "0.5"}, 0.5},
		{[]string{"--purge-yield", "3"}, map[string]string{"CONVSTORE_PURGE_YIELD": "0.5"}, 3}, // the flag wins
		{[]string{"--purge-yield", "0"}, nil, -1},
	} {
		m := NewMain()
		m.Stderr = &syncBuffer{}
		if err := m.ParseFlags(c.args, mapEnv(c.env)); err != nil {
			t.Fatalf("%v %v: %v", c.args, c.env, err)
		}
		var opts service.Options
		m.Config.backgroundOptions(&opts)
		if opts.PurgeYield != c.want {
			t.Errorf("%v %v: PurgeYield %v, want %v", c.args, c.env, opts.PurgeYield, c.want)
		}
	}
	for _, v := range []string{"-1", "101", "NaN", "fast"} {
		m := NewMain()
		m.Stderr = &syncBuffer{}
		if err := m.ParseFlags([]string{"--purge-yield", v}, nil); err == nil {
			t.Errorf("--purge-yield %s accepted", v)
		}
	}
}
