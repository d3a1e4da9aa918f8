package keyring

import (
	"context"
	"fmt"

	"github.com/convstore/convstore/blindindex"
)

// IndexKey returns tenantID's blind-index key under the current index
// root.
func (k *Keyring) IndexKey(tenantID string) (*blindindex.Key, error) {
	k.mu.RLock()
	r := k.c.IndexRoots[len(k.c.IndexRoots)-1]
	k.mu.RUnlock()
	return blindindex.DeriveKey(r.Key, r.ID, tenantID)
}

// IndexKeyByRoot returns tenantID's blind-index key under the root rootID,
// for lookups while a re-index moves rows from an older root.
func (k *Keyring) IndexKeyByRoot(rootID uint32, tenantID string) (*blindindex.Key, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, r := range k.c.IndexRoots {
		if r.ID == rootID {
			if r.Destroyed != nil {
				return nil, fmt.Errorf("index root %d was destroyed: %w", rootID, ErrKeyDestroyed)
			}
			return blindindex.DeriveKey(r.Key, r.ID, tenantID)
		}
	}
	return nil, fmt.Errorf("keyring: no index root %d", rootID)
}

// IndexRoots returns the ids of the index roots that still have a key,
// oldest first; the last is current.
func (k *Keyring) IndexRoots() []uint32 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var ids []uint32
	for _, r := range k.c.IndexRoots {
		if r.Destroyed == nil {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// RotateIndexRoot adds a new current index root and returns its id. Rows
// keep their indexes under the older root until a re-index job recomputes
// them.
func (k *Keyring) RotateIndexRoot(ctx context.Context) (uint32, error) {
	var id uint32
	err := k.update(ctx, func(c *contents) error {
		id = c.IndexRoots[len(c.IndexRoots)-1].ID + 1
		c.IndexRoots = append(c.IndexRoots, keyRecord{ID: id, Created: k.now().UTC(), Key: newKey()})
		return nil
	})
	return id, err
}

// DestroyIndexRoot removes the key of an index root other than the current
// one, once no row is indexed under it.
func (k *Keyring) DestroyIndexRoot(ctx context.Context, rootID uint32) error {
	return k.update(ctx, func(c *contents) error {
		for i := range c.IndexRoots {
			r := &c.IndexRoots[i]
			if r.ID != rootID {
				continue
			}
			if i == len(c.IndexRoots)-1 {
				return fmt.Errorf("keyring: index root %d is current; rotate first", rootID)
			}
			if r.Destroyed == nil {
				now := k.now().UTC()
				r.Destroyed, r.Key = &now, nil
			}
			return nil
		}
		return fmt.Errorf("keyring: no index root %d", rootID)
	})
}
