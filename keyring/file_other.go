//go:build !unix

package keyring

import "os"

// lockPath does nothing where flock is missing: keep one process changing
// the keyring at a time there.
func lockPath(path string) (unlock func(), err error) { return func() {}, nil }

// wipeReplaced does nothing where a file's link count cannot be read.
func wipeReplaced(f *os.File) {}

// checkMode accepts any mode where Unix permissions do not apply.
func checkMode(path string, info os.FileInfo) error { return nil }
