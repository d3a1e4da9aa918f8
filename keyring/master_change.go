package keyring

import (
	"context"
	"fmt"
)

// ChangeMaster seals the keyring file under the master key newURL instead
// of the current one ("" for none): to adopt a KMS for an unsealed keyring,
// or to move to another master key. The keys inside do not change. The old
// master key must stay available until this returns.
func (k *Keyring) ChangeMaster(ctx context.Context, newURL string) error {
	var next MasterKey
	var scheme string
	if newURL != "" {
		var err error
		if next, scheme, err = OpenMasterKey(ctx, newURL); err != nil {
			return err
		}
	}
	unlock, err := lockPath(k.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	c, _, err := k.read(ctx)
	if err != nil {
		closeKey(next)
		return err
	}
	data, err := encode(ctx, c, next, scheme)
	if err != nil {
		closeKey(next)
		return err
	}
	if err := writeFile(k.path, data, false); err != nil {
		closeKey(next)
		return fmt.Errorf("keyring: %w", err)
	}
	k.mu.Lock()
	old := k.master
	k.master, k.scheme = next, scheme
	k.mu.Unlock()
	closeKey(old)
	return k.install(c)
}

func closeKey(mk MasterKey) {
	if mk != nil {
		mk.Close()
	}
}
