package keyring

import (
	"context"
	"errors"
	"time"
)

// ErrKeyDestroyed is matched, through errors.Is, by the error of unwrapping
// or wrapping under a destroyed epoch: whatever that epoch wrapped is
// unrecoverable.
var ErrKeyDestroyed = errors.New("keyring: key destroyed")

// epochs converts records to Epochs, computing retirement times.
func epochs(records []keyRecord) []Epoch {
	out := make([]Epoch, len(records))
	for i, r := range records {
		out[i] = Epoch{ID: r.ID, Created: r.Created}
		if i+1 < len(records) {
			out[i].Retired = records[i+1].Created
		}
		if r.Destroyed != nil {
			out[i].Destroyed = *r.Destroyed
		}
	}
	return out
}

// Current returns the epoch new data keys are wrapped by.
func (k *Keyring) Current() Epoch {
	k.mu.RLock()
	defer k.mu.RUnlock()
	all := epochs(k.c.Epochs)
	return all[len(all)-1]
}

// Epochs returns every epoch the keyring has had, oldest first, destroyed
// ones included (without keys).
func (k *Keyring) Epochs() []Epoch {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return epochs(k.c.Epochs)
}

// Rotate starts a new current epoch and returns it. The previous epoch is
// retired: it still unwraps, until Destroy removes it, which must wait until
// every live data key it wrapped has been wrapped again under a newer one.
func (k *Keyring) Rotate(ctx context.Context) (Epoch, error) {
	var e Epoch
	err := k.update(ctx, func(c *contents) error {
		last := c.Epochs[len(c.Epochs)-1]
		now := k.now().UTC()
		if !now.After(last.Created) {
			now = last.Created.Add(time.Microsecond) // retirement times must increase
		}
		c.Epochs = append(c.Epochs, keyRecord{ID: last.ID + 1, Created: now, Key: newKey()})
		e = Epoch{ID: last.ID + 1, Created: now}
		return nil
	})
	return e, err
}

// Destroy removes the key of every epoch retired before retiredBefore (the
// current epoch is never retired) and returns the epochs it destroyed.
// Afterwards anything those keys wrapped, in the database, its WAL, its
// replicas and its backups, is unrecoverable. The caller must first make
// sure no live data key is still wrapped by them.
func (k *Keyring) Destroy(ctx context.Context, retiredBefore time.Time) ([]Epoch, error) {
	var destroyed []Epoch
	err := k.update(ctx, func(c *contents) error {
		destroyed = nil
		now := k.now().UTC()
		for i := 0; i+1 < len(c.Epochs); i++ {
			r := &c.Epochs[i]
			if r.Destroyed == nil && c.Epochs[i+1].Created.Before(retiredBefore) {
				r.Destroyed, r.Key = &now, nil
				destroyed = append(destroyed, Epoch{ID: r.ID, Created: r.Created, Retired: c.Epochs[i+1].Created, Destroyed: now})
			}
		}
		return nil
	})
	return destroyed, err
}
