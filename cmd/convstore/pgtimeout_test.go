package main

import (
	"testing"
	"time"

	"github.com/convstore/convstore/postgres"
)

// TestPGTimeoutFlags: the PostgreSQL lock and acquire timeouts come from
// their flags or CONVSTORE_* variables, with the engine's defaults.
func TestPGTimeoutFlags(t *testing.T) {
	t.Parallel()
	m := NewMain()
	if err := m.ParseFlags(nil, mapEnv(nil)); err != nil {
		t.Fatal(err)
	}
	if c := m.Config; c.PGLockTimeout != postgres.DefaultLockTimeout || c.PGAcquireTimeout != postgres.DefaultAcquireTimeout {
		t.Errorf("defaults: lock %v, acquire %v", c.PGLockTimeout, c.PGAcquireTimeout)
	}
	m = NewMain()
	env := map[string]string{"CONVSTORE_PG_LOCK_TIMEOUT": "2s", "CONVSTORE_PG_ACQUIRE_TIMEOUT": "9s"}
	if err := m.ParseFlags([]string{"--pg-acquire-timeout", "750ms"}, mapEnv(env)); err != nil {
		t.Fatal(err)
	}
	if c := m.Config; c.PGLockTimeout != 2*time.Second || c.PGAcquireTimeout != 750*time.Millisecond {
		t.Errorf("lock %v (want 2s from the environment), acquire %v (want 750ms from the flag)", c.PGLockTimeout, c.PGAcquireTimeout)
	}
}
