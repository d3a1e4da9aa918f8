//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package blob

import "os"

// lockFile does nothing where flock is missing.
func lockFile(f *os.File) error { return nil }

// tryLock reports every temporary file as in use where flock is missing,
// so RemoveStaleTemp never removes a live upload's file.
func tryLock(f *os.File) (bool, error) { return false, nil }
