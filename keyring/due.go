package keyring

import (
	"context"
	"errors"
	"time"
)

// errUnchanged makes update write nothing.
var errUnchanged = errors.New("keyring: unchanged")

// RotateIfDue starts a new epoch, as Rotate does, if the current one was
// created every or longer ago, and reports whether it did. The check is
// made under the file lock on the file's latest contents, so of several
// nodes sharing the keyring and calling it on the same schedule, one
// rotates and the others find the new epoch current.
func (k *Keyring) RotateIfDue(ctx context.Context, every time.Duration) (Epoch, bool, error) {
	var e Epoch
	rotated := false
	err := k.update(ctx, func(c *contents) error {
		last := c.Epochs[len(c.Epochs)-1]
		now := k.now().UTC()
		if now.Sub(last.Created) < every {
			all := epochs(c.Epochs)
			e = all[len(all)-1]
			return errUnchanged
		}
		if !now.After(last.Created) {
			now = last.Created.Add(time.Microsecond)
		}
		c.Epochs = append(c.Epochs, keyRecord{ID: last.ID + 1, Created: now, Key: newKey()})
		e, rotated = Epoch{ID: last.ID + 1, Created: now}, true
		return nil
	})
	if errors.Is(err, errUnchanged) {
		// The file may have changed since this process read it.
		_, err = k.Reload(ctx)
	}
	return e, rotated, err
}
