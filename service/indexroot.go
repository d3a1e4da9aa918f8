package service

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blindindex"
	"github.com/convstore/convstore/driver"
)

// Blind indexes under several index roots. After the keyring's index root
// is rotated, rows keep their indexes under the older root until the
// re-index (reindex.go) recomputes them; meanwhile lookups compute the
// index under every live root (two, seldom more) and match any, and
// writes index under the current root and record the oldest root a
// conversation's indexes are under (conversations.index_root).

// firstIndexRoot is the root a keyring is created with, and the index
// root recorded by default (migration 0009): rows stored before index
// roots were recorded are under it.
const firstIndexRoot = 1

// rootKey names a tenant's index key under one root.
type rootKey struct {
	tenant convstore.ID
	root   uint32
}

// liveRoots returns the index roots that still have a key, oldest first;
// the last is current. A store without a keyring has one, 0.
func (z *sealer) liveRoots() []uint32 {
	if z.ring == nil {
		return []uint32{0}
	}
	return z.ring.IndexRoots()
}

// currentRoot returns the root new indexes are computed under.
func (z *sealer) currentRoot() uint32 {
	r := z.liveRoots()
	return r[len(r)-1]
}

// indexKeyAt returns the tenant's blind-index key under root.
func (z *sealer) indexKeyAt(tenantID convstore.ID, root uint32) (*blindindex.Key, error) {
	rk := rootKey{tenantID, root}
	if k, ok := z.indexKeys.Load(rk); ok {
		return k.(*blindindex.Key), nil
	}
	var k *blindindex.Key
	var err error
	if z.ring == nil {
		k, err = blindindex.DeriveKey(unsealedRoot, 0, tenantID.UUID())
	} else {
		k, err = z.ring.IndexKeyByRoot(root, tenantID.UUID())
	}
	if err != nil {
		return nil, fmt.Errorf("service: index key: %w", err)
	}
	z.indexKeys.Store(rk, k)
	return k, nil
}

// dropRoot forgets the cached index keys of a destroyed root.
func (z *sealer) dropRoot(root uint32) {
	z.indexKeys.Range(func(k, _ any) bool {
		if k.(rootKey).root == root {
			z.indexKeys.Delete(k)
		}
		return true
	})
}

// indexes returns the blind index of value in field under every live
// root, the current one first; nil for "".
func (z *sealer) indexes(tenantID convstore.ID, field, value string) ([][]byte, error) {
	if value == "" {
		return nil, nil
	}
	roots := z.liveRoots()
	out := make([][]byte, 0, len(roots))
	for i := len(roots) - 1; i >= 0; i-- {
		k, err := z.indexKeyAt(tenantID, roots[i])
		if err != nil {
			return nil, err
		}
		out = append(out, k.Index(field, value))
	}
	return out, nil
}

// olderKeys returns the tenant's index keys under the live roots older
// than the current one (none, unless a re-index runs).
func (z *sealer) olderKeys(tenantID convstore.ID) ([]*blindindex.Key, error) {
	roots := z.liveRoots()
	var out []*blindindex.Key
	for _, r := range roots[:len(roots)-1] {
		k, err := z.indexKeyAt(tenantID, r)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// indexWith returns the blind index of value in field under k; nil for "".
func indexWith(k *blindindex.Key, field, value string) []byte {
	if value == "" {
		return nil
	}
	return k.Index(field, value)
}

// metaIndexWith returns the pair index rows of m under k, in the order of
// m's keys (so that a filter's pairs under two roots line up).
func metaIndexWith(k *blindindex.Key, m convstore.Metadata) []driver.MetaIndex {
	if len(m) == 0 {
		return nil
	}
	out := make([]driver.MetaIndex, 0, len(m))
	for _, key := range slices.Sorted(maps.Keys(m)) {
		out = append(out, driver.MetaIndex{Key: k.Index("metadata_key", key), Pair: k.Index("metadata", key, m[key])})
	}
	return out
}

// nameLookups returns how the driver finds an attachment by name under
// every live root, the current one first.
func (s *Service) nameLookups(tenantID convstore.ID, name string) ([]driver.NameLookup, error) {
	idx, err := s.z.indexes(tenantID, "attachment_name", name)
	if err != nil {
		return nil, err
	}
	out := make([]driver.NameLookup, len(idx))
	for i, x := range idx {
		out[i] = driver.NameLookup{Index: x, Plain: name}
	}
	if len(out) == 0 { // "": found by nothing
		out = append(out, driver.NameLookup{Plain: name})
	}
	return out, nil
}

// eachLookup calls find with each lookup until one finds something (no
// ENOTFOUND), and returns its answer.
func eachLookup[T any](lookups []driver.NameLookup, find func(driver.NameLookup) (T, error)) (T, error) {
	var v T
	var err error
	for _, l := range lookups {
		if v, err = find(l); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return v, err
		}
	}
	return v, err
}

// recordRoot records, in a write that put a conversation's indexes under
// root, the root they are under: a new conversation's (nothing to write
// under the first root, the column's default), or with lower, the oldest
// of its roots, so that a node that had not yet loaded a newer root (it
// reloads the keyring periodically) sends the re-index back to it. The
// lowering matches no row, and writes nothing, in the usual case.
func (z *sealer) recordRoot(ctx context.Context, tx driver.Tx, tenantID, id convstore.ID, root uint32, lower bool) error {
	if z.ring == nil || !lower && root == firstIndexRoot {
		return nil
	}
	return tx.ConversationIndexRootSet(ctx, tenantID, id, root, lower)
}
