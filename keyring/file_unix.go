//go:build unix

package keyring

import (
	"fmt"
	"os"
	"syscall"
)

// lockPath takes an exclusive lock (flock) on path, creating it (0600) if
// needed; unlock releases it. Every change to the keyring file is made
// under it, by every process that shares the file.
func lockPath(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keyring: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("keyring: lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// wipeReplaced overwrites a replaced keyring file's bytes with zeros and
// syncs them, if no other name links to it any more (a hard-linked copy is
// someone's, not ours to wipe). Errors are ignored: the new file is in
// place already, and this is a best effort.
func wipeReplaced(f *os.File) {
	info, err := f.Stat()
	if err != nil {
		return
	}
	if st, ok := info.Sys().(*syscall.Stat_t); !ok || st.Nlink != 0 {
		return
	}
	f.WriteAt(make([]byte, info.Size()), 0)
	f.Sync()
}

// checkMode refuses a keyring file that others than its owner may read.
func checkMode(path string, info os.FileInfo) error {
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("keyring: %s is readable by others (mode %#o); it must be 0600 (chmod 600 %s)", path, perm, path)
	}
	return nil
}
