package service

import (
	"bytes"
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// tEndUsers is the sealing context's table of end-user records. Rows that
// migration 0023 moved from conversations (Moved) keep their values sealed
// in a conversation's context until their next write re-seals them here.
const tEndUsers = "end_users"

// An end-user record plays its conversation's part in the sealing
// context (Conversation and Row are its id) and its data key is wrapped
// for (tenant, id) as a conversation's is: so a moved record's key and
// values open unchanged.

func endUserTable(moved bool) string {
	if moved {
		return tConversations
	}
	return tEndUsers
}

// endUserKey returns the record's DEK: nil when sealing is off or the row
// has none (stored before sealing).
func (z *sealer) endUserKey(ctx context.Context, row *driver.EndUserRow) (*seal.DEK, error) {
	if z.ring == nil || len(row.WrappedKey) == 0 {
		return nil, nil
	}
	return z.unwrap(ctx, &driver.ConversationKey{TenantID: row.TenantID, ConversationID: row.ID, Epoch: row.KeyEpoch,
		Wrapped: row.WrappedKey})
}

// openEndUser opens a stored record.
func (z *sealer) openEndUser(ctx context.Context, r driver.Reader, row *driver.EndUserRow) (*convstore.EndUser, error) {
	dek, err := z.endUserKey(ctx, row)
	if err != nil {
		return nil, err
	}
	o := z.opener(ctx, r, row.TenantID, row.ID)
	o.dek, o.fetched = dek, true // the key is the row's: never looked up elsewhere
	t := endUserTable(row.Moved)
	u := &convstore.EndUser{ID: row.ID, TenantID: row.TenantID, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	if u.UserID, err = o.str(t, "user_id", row.ID, row.UserID); err != nil {
		return nil, err
	}
	if u.ExternalID, err = o.str(t, "external_id", row.ID, row.ExternalID); err != nil {
		return nil, err
	}
	// A moved row's name was its conversation's title.
	nameCol := "name"
	if row.Moved {
		nameCol = "title"
	}
	if u.Name, err = o.str(t, nameCol, row.ID, row.Name); err != nil {
		return nil, err
	}
	if u.Metadata, err = o.meta(t, row.ID, row.Meta); err != nil {
		return nil, err
	}
	return u, nil
}

// endUserRow returns u as stored, sealed under dek in its own context,
// with its indexes under root and its key wrapped (a new one's) or kept
// (wrapped as given).
func (z *sealer) endUserRow(u *convstore.EndUser, dek *seal.DEK, epoch uint32, wrapped []byte, root uint32) (*driver.EndUserRow, error) {
	b := z.box(dek, u.TenantID, u.ID)
	row := &driver.EndUserRow{ID: u.ID, TenantID: u.TenantID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		UserID:     b.str(tEndUsers, "user_id", u.ID, u.UserID),
		ExternalID: b.str(tEndUsers, "external_id", u.ID, u.ExternalID),
		Name:       b.str(tEndUsers, "name", u.ID, u.Name),
		Meta:       b.meta(tEndUsers, u.ID, u.Metadata),
		IndexRoot:  root, KeyEpoch: epoch, WrappedKey: wrapped,
	}
	k, err := z.indexKeyAt(u.TenantID, root)
	if err != nil {
		return nil, err
	}
	row.UserIndex = indexWith(k, "user_id", u.UserID)
	row.ExternalIndex = indexWith(k, "external_id", u.ExternalID)
	row.MetaIndex = metaIndexWith(k, u.Metadata)
	if dek != nil && wrapped == nil {
		row.KeyEpoch = z.ring.Current().ID
		if row.WrappedKey, err = z.ring.Wrap(row.KeyEpoch, dek, keyAAD(u.TenantID, u.ID)); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// FindEndUserByUserID returns the record of that user id.
func (s *Service) FindEndUserByUserID(ctx context.Context, tenantID convstore.ID, userID string) (*convstore.EndUser, error) {
	if userID == "" {
		return nil, convstore.NotFound("end user")
	}
	list, _, err := s.FindEndUsers(ctx, tenantID, convstore.EndUserFilter{UserID: userID, PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, convstore.NotFound("end user")
	}
	return list[0], nil
}

// FindEndUsers returns a page of records, newest first by default: the
// user id and metadata pairs are matched by their blind indexes under
// every live index root.
func (s *Service) FindEndUsers(ctx context.Context, tenantID convstore.ID, f convstore.EndUserFilter) ([]*convstore.EndUser, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	p := &driver.EndUserListParams{TenantID: tenantID, UserID: f.UserID, CreatedAfter: f.CreatedAfter,
		CreatedBefore: f.CreatedBefore, Page: pageOf(f.PageFilter, 0)}
	var err error
	if p.UserIndexes, err = s.z.indexes(tenantID, "user_id", f.UserID); err != nil {
		return nil, false, err
	}
	if f.UserID != "" && p.UserIndexes == nil { // sealing off: no index, the plaintext matches
		p.UserIndexes = [][]byte{}
	}
	if p.MetaPairs, err = s.metaPairs(tenantID, f.Metadata); err != nil {
		return nil, false, err
	}
	r := s.drv.Reads()
	rows, err := r.EndUserList(ctx, p)
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	out := make([]*convstore.EndUser, len(rows))
	for i, row := range rows {
		if out[i], err = s.z.openEndUser(ctx, r, row); err != nil {
			return nil, false, err
		}
	}
	return out, more, nil
}

// metaPairs returns each pair's blind indexes under every live root.
func (s *Service) metaPairs(tenantID convstore.ID, m convstore.Metadata) ([][][]byte, error) {
	cur, err := s.z.metaIndex(tenantID, m)
	if err != nil || len(cur) == 0 {
		return nil, err
	}
	out := make([][][]byte, len(cur))
	for i, c := range cur {
		out[i] = [][]byte{c.Pair}
	}
	older, err := s.z.olderKeys(tenantID)
	if err != nil {
		return nil, err
	}
	for _, k := range older {
		for i, c := range metaIndexWith(k, m) {
			out[i] = append(out[i], c.Pair)
		}
	}
	return out, nil
}

// CreateEndUser creates a record under a data key of its own.
func (s *Service) CreateEndUser(ctx context.Context, tenantID convstore.ID, c *convstore.EndUserCreate) (*convstore.EndUser, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "end user is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var u *convstore.EndUser
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		root := s.z.currentRoot() // before indexing: never newer than the indexes
		// Taken under an older live root (a re-index runs): the schema's
		// unique indexes compare the current root's only.
		if c.ExternalID != "" {
			idxs, err := s.z.indexes(tenantID, "external_id", c.ExternalID)
			if err != nil {
				return err
			}
			if _, err := tx.EndUserGetByExternal(ctx, tenantID, idxs, c.ExternalID); err == nil {
				return driver.ErrExternalIDTaken()
			} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				return err
			}
		}
		u = &convstore.EndUser{ID: s.newID(), TenantID: tenantID, UserID: c.UserID, ExternalID: c.ExternalID,
			Name: c.Name, Metadata: copyMeta(c.Metadata), CreatedAt: now, UpdatedAt: now}
		var dek *seal.DEK
		if s.z.ring != nil {
			dek = seal.NewDEK()
		}
		row, err := s.z.endUserRow(u, dek, 0, nil, root)
		if err != nil {
			return err
		}
		return tx.EndUserInsert(ctx, row)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// FindOrCreateEndUser returns the record of c.ExternalID, or creates it.
func (s *Service) FindOrCreateEndUser(ctx context.Context, tenantID convstore.ID, c *convstore.EndUserCreate) (*convstore.EndUser, bool, error) {
	if c == nil || c.ExternalID == "" {
		return nil, false, convstore.Invalidf("external_id", "external_id is required")
	}
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	find := func() (*convstore.EndUser, error) {
		idxs, err := s.z.indexes(tenantID, "external_id", c.ExternalID)
		if err != nil {
			return nil, err
		}
		r := s.drv.Reads()
		row, err := r.EndUserGetByExternal(ctx, tenantID, idxs, c.ExternalID)
		if err != nil {
			return nil, err
		}
		return s.z.openEndUser(ctx, r, row)
	}
	u, err := find()
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		return u, false, err
	}
	u, err = s.CreateEndUser(ctx, tenantID, c)
	if convstore.ErrorCode(err) == convstore.ECONFLICT { // created meanwhile
		if u, err = find(); err == nil {
			return u, false, nil
		}
	}
	return u, err == nil, err
}

// UpdateEndUser changes the set fields and UpdatedAt, re-sealing the
// record in its own context (a moved record's too) under its key.
func (s *Service) UpdateEndUser(ctx context.Context, tenantID, id convstore.ID, up *convstore.EndUserUpdate) (*convstore.EndUser, error) {
	if up == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := up.Validate(); err != nil {
		return nil, err
	}
	var u *convstore.EndUser
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		row, err := tx.EndUserLock(ctx, tenantID, id)
		if err != nil {
			return err
		}
		u, err = s.rewriteEndUser(ctx, tx, row, s.z.currentRoot(), func(u *convstore.EndUser) {
			if up.Name != nil {
				u.Name = *up.Name
			}
			if up.Metadata != nil {
				u.Metadata = copyMeta(*up.Metadata)
			}
			u.UpdatedAt = s.now()
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(u.Metadata) == 0 {
		u.Metadata = nil
	}
	return u, nil
}

// rewriteEndUser opens row (locked in tx), applies change, and stores it
// again: re-sealed in its own context (a moved record's too) under its
// key (a new one for a record stored before sealing), indexed under
// root. Holds on its user id follow a changed user index to root.
func (s *Service) rewriteEndUser(ctx context.Context, tx driver.Tx, row *driver.EndUserRow, root uint32, change func(*convstore.EndUser)) (*convstore.EndUser, error) {
	u, err := s.z.openEndUser(ctx, tx, row)
	if err != nil {
		return nil, err
	}
	change(u)
	dek, err := s.z.endUserKey(ctx, row)
	if err != nil {
		return nil, err
	}
	epoch, wrapped := row.KeyEpoch, row.WrappedKey
	if dek == nil && s.z.ring != nil { // stored before sealing: sealed now
		dek, epoch, wrapped = seal.NewDEK(), 0, nil
	}
	next, err := s.z.endUserRow(u, dek, epoch, wrapped, root)
	if err != nil {
		return nil, err
	}
	if len(row.UserIndex) > 0 && !bytes.Equal(row.UserIndex, next.UserIndex) {
		if _, err := tx.HoldUserIndexCarry(ctx, row.TenantID, row.UserIndex, next.UserIndex, root); err != nil {
			return nil, err
		}
	}
	stored, err := tx.EndUserUpdate(ctx, next)
	if err != nil {
		return nil, err
	}
	u.UpdatedAt = stored.UpdatedAt
	return u, nil
}

// reindexEndUsers recomputes under root the indexes of every end-user
// record indexed under an older root, batch records a transaction, and
// returns how many it rewrote.
func (s *Service) reindexEndUsers(ctx context.Context, root uint32, batch int) (int, error) {
	total := 0
	for {
		var n int
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			n = 0
			rows, err := tx.EndUserListBelowRoot(ctx, root, batch)
			if err != nil {
				return err
			}
			for _, row := range rows {
				if row, err = tx.EndUserLock(ctx, row.TenantID, row.ID); err != nil {
					return err
				}
				if _, err := s.rewriteEndUser(ctx, tx, row, root, func(*convstore.EndUser) {}); err != nil {
					return err
				}
			}
			n = len(rows)
			return nil
		})
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

// DeleteEndUser deletes a record for good: in one transaction its row
// and the data key in it go, and the receipt and audit entry are written.
// A legal hold on its user id refuses it (EHELD). Nothing is left to
// purge, so the receipt is purged when written.
func (s *Service) DeleteEndUser(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var d *convstore.Deletion
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		row, err := tx.EndUserLock(ctx, tenantID, id)
		if err != nil {
			return err
		}
		u, err := s.z.openEndUser(ctx, tx, row)
		if err != nil {
			return err
		}
		idxs, err := s.z.indexes(tenantID, "user_id", u.UserID)
		if err != nil {
			return err
		}
		if row.UserIndex != nil {
			idxs = append(idxs, row.UserIndex)
		}
		if h, err := tx.HoldOnUser(ctx, tenantID, idxs); err == nil {
			return convstore.HeldEndUser(h)
		} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return err
		}
		gone, err := tx.EndUserDelete(ctx, tenantID, id)
		if err != nil {
			return err
		}
		s.z.forget(tenantID, id)
		now := s.now()
		d = &convstore.Deletion{ID: s.newID(), TenantID: tenantID, Kind: convstore.DeletionEndUser, ConversationID: id,
			ActorKeyID: p.ActorKeyID, Door: p.Door, RequestID: p.RequestID, ClientRequestID: p.ClientRequestID,
			CreatedAt: now, KeyEpoch: gone.KeyEpoch, PurgedAt: &now, Policy: p.Policy, ErasureID: p.ErasureID}
		if err := tx.DeletionInsert(ctx, d); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditEndUserDelete, id, d.ID, p)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}
