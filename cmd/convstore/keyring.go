package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
)

// defaultKeyringFile is the keyring's file under DataDir.
const defaultKeyringFile = "keyring"

// KeyringPath returns the keyring file: --keyring, or DataDir/keyring.
func (c Config) KeyringPath() string {
	if c.Keyring != "" {
		return c.Keyring
	}
	return filepath.Join(c.DataDir, defaultKeyringFile)
}

// openKeyring opens the keyring of the store drv opened. A keyring is
// created only for a store that has never been sealed: a sealed store
// whose keyring is missing fails at once, naming the file, and nothing is
// created or changed.
func openKeyring(ctx context.Context, cfg Config, drv driver.Driver) (*keyring.Keyring, error) {
	_, err := drv.Reads().StoreMetaGet(ctx, driver.MetaKeyringID)
	fresh := convstore.ErrorCode(err) == convstore.ENOTFOUND
	if err != nil && !fresh {
		return nil, fmt.Errorf("reading the store's keyring id: %w", err)
	}
	ring, err := keyring.Open(ctx, keyring.Config{Path: cfg.KeyringPath(), MasterKeyURL: cfg.KeyringMasterKey, Create: fresh})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("this store is sealed, and its keyring %s is missing: restore the keyring file there, or name it with --keyring", cfg.KeyringPath())
	} else if err != nil {
		return nil, fmt.Errorf("opening the keyring %s: %w", cfg.KeyringPath(), err)
	}
	return ring, nil
}
