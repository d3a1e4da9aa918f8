package drivertest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var endUserTests = []test{
	{"InsertGet", testEndUserInsertGet},
	{"Conflicts", testEndUserConflicts},
	{"List", testEndUserList},
	{"UpdateDelete", testEndUserUpdateDelete},
	{"Keys", testEndUserKeys},
	{"BelowRoot", testEndUserBelowRoot},
	{"HoldOnUser", testHoldOnUser},
}

// endUser stores a record of user id userID with metadata m, its key
// wrapped by epoch (0: none).
func (f *fixture) endUser(tb testing.TB, tenantID convstore.ID, userID, externalID string, m convstore.Metadata, epoch uint32) *driver.EndUserRow {
	tb.Helper()
	t := now()
	u := &driver.EndUserRow{ID: convstore.NewID(), TenantID: tenantID, UserID: sealed(userID), UserIndex: blind("user_id", userID),
		ExternalID: sealed(externalID), ExternalIndex: blind("external_id", externalID), Name: sealed("name of " + userID),
		Meta: sealedMeta(m), MetaIndex: metaIndex(m), IndexRoot: 1, CreatedAt: t, UpdatedAt: t}
	if epoch != 0 {
		u.KeyEpoch, u.WrappedKey = epoch, []byte("wrapped\x00"+userID)
	}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.EndUserInsert(ctx, u) })
	return u
}

func sameEndUser(a, b *driver.EndUserRow) bool {
	return a.ID == b.ID && a.TenantID == b.TenantID && a.UserID == b.UserID && bytes.Equal(a.UserIndex, b.UserIndex) &&
		a.ExternalID == b.ExternalID && bytes.Equal(a.ExternalIndex, b.ExternalIndex) && a.Name == b.Name &&
		bytes.Equal(a.Meta, b.Meta) && a.Moved == b.Moved && a.IndexRoot == b.IndexRoot && a.KeyEpoch == b.KeyEpoch && bytes.Equal(a.WrappedKey, b.WrappedKey) &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// A record reads back as stored, by id and by external index, in its
// tenant only; a missing tenant is ENOTFOUND "tenant".
func testEndUserInsertGet(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	u := f.endUser(t, a.ID, "user_1", "key-1", convstore.Metadata{"bot": "x"}, 3)
	r := f.drv.Reads()
	got, err := r.EndUserGet(f.ctx, a.ID, u.ID)
	must(t, err)
	if !sameEndUser(got, u) {
		t.Errorf("EndUserGet = %+v, want %+v", got, u)
	}
	_, err = r.EndUserGet(f.ctx, b.ID, u.ID)
	wantCode(t, "another tenant's record", err, convstore.ENOTFOUND, "end user")
	got, err = r.EndUserGetByExternal(f.ctx, a.ID, [][]byte{blind("external_id", "other"), u.ExternalIndex}, "key-1")
	must(t, err)
	if got.ID != u.ID {
		t.Errorf("EndUserGetByExternal = %v, want %v", got.ID, u.ID)
	}
	_, err = r.EndUserGetByExternal(f.ctx, b.ID, [][]byte{u.ExternalIndex}, "key-1")
	wantCode(t, "another tenant's external id", err, convstore.ENOTFOUND, "end user")
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		return tx.EndUserInsert(ctx, &driver.EndUserRow{ID: convstore.NewID(), TenantID: convstore.NewID(), UserID: sealed("u"),
			UserIndex: blind("user_id", "u"), CreatedAt: now(), UpdatedAt: now()})
	})
	wantCode(t, "a missing tenant's record", err, convstore.ENOTFOUND, "tenant")
}

// The user id and the external id are unique per tenant, each its own
// conflict; another tenant may use both.
func testEndUserConflicts(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	f.endUser(t, a.ID, "user_1", "key-1", nil, 0)
	insert := func(tenantID convstore.ID, userID, externalID string) error {
		return f.try(func(ctx context.Context, tx driver.Tx) error {
			return tx.EndUserInsert(ctx, &driver.EndUserRow{ID: convstore.NewID(), TenantID: tenantID, UserID: sealed(userID),
				UserIndex: blind("user_id", userID), ExternalID: sealed(externalID), ExternalIndex: blind("external_id", externalID),
				CreatedAt: now(), UpdatedAt: now()})
		})
	}
	wantErr(t, "a taken external id", insert(a.ID, "user_2", "key-1"), driver.ErrExternalIDTaken())
	wantErr(t, "a taken user id", insert(a.ID, "user_1", "key-2"), driver.ErrEndUserTaken())
	must(t, insert(b.ID, "user_1", "key-1"))
}

// A list filters by user index, metadata pairs (any alternative of each)
// and creation bounds, pages by id both ways, in its tenant only.
func testEndUserList(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	u1 := f.endUser(t, a.ID, "user_1", "", convstore.Metadata{"bot": "x", "tag": "1"}, 0)
	time.Sleep(2 * time.Millisecond)
	u2 := f.endUser(t, a.ID, "user_2", "", convstore.Metadata{"bot": "x"}, 0)
	time.Sleep(2 * time.Millisecond)
	u3 := f.endUser(t, a.ID, "user_3", "", convstore.Metadata{"bot": "y"}, 0)
	f.endUser(t, b.ID, "user_4", "", convstore.Metadata{"bot": "x"}, 0)
	list := func(p *driver.EndUserListParams) []convstore.ID {
		t.Helper()
		if p.TenantID.IsZero() {
			p.TenantID = a.ID
		}
		if p.Page.Limit == 0 {
			p.Page.Limit = 10
		}
		rows, err := f.drv.Reads().EndUserList(f.ctx, p)
		must(t, err)
		return ids(rows, func(r *driver.EndUserRow) convstore.ID { return r.ID })
	}
	pair := func(k, v string) []byte { return blind("metadata", k+"\x00"+v) }
	for _, c := range []struct {
		name string
		p    *driver.EndUserListParams
		want []convstore.ID
	}{
		{"all", &driver.EndUserListParams{}, []convstore.ID{u1.ID, u2.ID, u3.ID}},
		{"newest first", &driver.EndUserListParams{Page: driver.Page{Limit: 2, Desc: true}}, []convstore.ID{u3.ID, u2.ID}},
		{"after", &driver.EndUserListParams{Page: driver.Page{Limit: 10, After: u1.ID}}, []convstore.ID{u2.ID, u3.ID}},
		{"by user", &driver.EndUserListParams{UserIndexes: [][]byte{blind("user_id", "nobody"), u2.UserIndex}, UserID: "user_2"}, []convstore.ID{u2.ID}},
		{"by bot", &driver.EndUserListParams{MetaPairs: [][][]byte{{pair("bot", "x")}}}, []convstore.ID{u1.ID, u2.ID}},
		{"by bot and tag", &driver.EndUserListParams{MetaPairs: [][][]byte{{pair("bot", "x")}, {pair("zz", "0"), pair("tag", "1")}}}, []convstore.ID{u1.ID}},
		{"created after", &driver.EndUserListParams{CreatedAfter: &u1.CreatedAt}, []convstore.ID{u2.ID, u3.ID}},
		{"created before", &driver.EndUserListParams{CreatedBefore: &u3.CreatedAt}, []convstore.ID{u1.ID, u2.ID}},
		{"another tenant's user", &driver.EndUserListParams{TenantID: b.ID, UserIndexes: [][]byte{u2.UserIndex}, UserID: "user_2"}, nil},
	} {
		if got := list(c.p); !sameIDs(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// An update replaces the sealed values, indexes and pair indexes, never
// moves updated_at back; a delete returns the row as it was, takes its
// pair indexes, and finds nothing the second time or in another tenant.
func testEndUserUpdateDelete(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	u := f.endUser(t, a.ID, "user_1", "", convstore.Metadata{"bot": "x"}, 2)
	next := *u
	next.Name, next.Meta, next.MetaIndex, next.Moved = sealed("renamed"), sealedMeta(convstore.Metadata{"bot": "y"}), metaIndex(convstore.Metadata{"bot": "y"}), false
	next.UpdatedAt = u.UpdatedAt.Add(-time.Hour)
	var got *driver.EndUserRow
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.EndUserLock(ctx, a.ID, u.ID); err != nil {
			return err
		}
		var err error
		got, err = tx.EndUserUpdate(ctx, &next)
		return err
	})
	if got.Name != next.Name || !bytes.Equal(got.Meta, next.Meta) || !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("EndUserUpdate = %+v, want the new values and the later updated_at", got)
	}
	pairs := func(k, v string) int {
		rows, err := f.drv.Reads().EndUserList(f.ctx, &driver.EndUserListParams{TenantID: a.ID,
			MetaPairs: [][][]byte{{blind("metadata", k+"\x00"+v)}}, Page: page(10, false)})
		must(t, err)
		return len(rows)
	}
	if pairs("bot", "x") != 0 || pairs("bot", "y") != 1 {
		t.Errorf("pair index after update: x %d, y %d; want 0, 1", pairs("bot", "x"), pairs("bot", "y"))
	}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.EndUserUpdate(ctx, &driver.EndUserRow{ID: u.ID, TenantID: b.ID, UserID: sealed("x"), UpdatedAt: now()})
		return err
	})
	wantCode(t, "another tenant's update", err, convstore.ENOTFOUND, "end user")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { _, err := tx.EndUserDelete(ctx, b.ID, u.ID); return err })
	wantCode(t, "another tenant's delete", err, convstore.ENOTFOUND, "end user")
	var gone *driver.EndUserRow
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		var err error
		gone, err = tx.EndUserDelete(ctx, a.ID, u.ID)
		return err
	})
	if gone.ID != u.ID || gone.KeyEpoch != 2 {
		t.Errorf("EndUserDelete = %+v, want the record with epoch 2", gone)
	}
	_, err = f.drv.Reads().EndUserGet(f.ctx, a.ID, u.ID)
	wantCode(t, "a deleted record", err, convstore.ENOTFOUND, "end user")
	if pairs("bot", "y") != 0 {
		t.Error("a deleted record's pair index is left")
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error { _, err := tx.EndUserDelete(ctx, a.ID, u.ID); return err })
	wantCode(t, "a second delete", err, convstore.ENOTFOUND, "end user")
}

// Keys are counted by epoch and claimed and re-wrapped across tenants,
// in the epoch range only; a record without a key has none.
func testEndUserKeys(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	u1 := f.endUser(t, a.ID, "user_1", "", nil, 1)
	u2 := f.endUser(t, b.ID, "user_2", "", nil, 1)
	f.endUser(t, a.ID, "user_3", "", nil, 2)
	f.endUser(t, a.ID, "user_4", "", nil, 0)
	epochs, err := f.drv.Reads().EndUserKeyEpochs(f.ctx)
	must(t, err)
	if len(epochs) != 2 || epochs[0] != (driver.EpochKeys{Epoch: 1, Keys: 2}) || epochs[1] != (driver.EpochKeys{Epoch: 2, Keys: 1}) {
		t.Errorf("EndUserKeyEpochs = %v", epochs)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		keys, err := tx.EndUserKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 1, Before: 2, Limit: 10})
		if err != nil {
			return err
		}
		if got := ids(keys, func(k *driver.ConversationKey) convstore.ID { return k.ConversationID }); len(got) != 2 ||
			!(got[0] == u1.ID && got[1] == u2.ID || got[0] == u2.ID && got[1] == u1.ID) {
			t.Errorf("EndUserKeyClaim = %v, want %v and %v", got, u1.ID, u2.ID)
		}
		for _, k := range keys {
			k.Epoch, k.Wrapped = 3, []byte("rewrapped")
		}
		n, err := tx.EndUserKeyRewrap(ctx, keys)
		if n != 2 {
			t.Errorf("EndUserKeyRewrap = %d, want 2", n)
		}
		return err
	})
	got, err := f.drv.Reads().EndUserGet(f.ctx, b.ID, u2.ID)
	must(t, err)
	if got.KeyEpoch != 3 || string(got.WrappedKey) != "rewrapped" {
		t.Errorf("after the re-wrap: epoch %d, key %q", got.KeyEpoch, got.WrappedKey)
	}
}

// HoldOnUser finds a hold by its user index or alternative, in its
// tenant only.
func testHoldOnUser(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	h := &driver.HoldRow{ID: convstore.NewID(), TenantID: a.ID, UserIndex: blind("user_id", "ann"), Reason: "case", CreatedAt: now()}
	alt := &driver.HoldRow{ID: convstore.NewID(), TenantID: a.ID, UserIndex: blind("user_id", "new"), UserIndexAlt: blind("user_id", "bob"),
		Reason: "case", CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.HoldInsert(ctx, h); err != nil {
			return err
		}
		return tx.HoldInsert(ctx, alt)
	})
	r := f.drv.Reads()
	got, err := r.HoldOnUser(f.ctx, a.ID, [][]byte{blind("user_id", "x"), blind("user_id", "ann")})
	must(t, err)
	if got != h.ID {
		t.Errorf("HoldOnUser(ann) = %v, want %v", got, h.ID)
	}
	if got, err = r.HoldOnUser(f.ctx, a.ID, [][]byte{blind("user_id", "bob")}); err != nil || got != alt.ID {
		t.Errorf("HoldOnUser(bob) = %v, %v; want %v by its alternative index", got, err, alt.ID)
	}
	_, err = r.HoldOnUser(f.ctx, b.ID, [][]byte{blind("user_id", "ann")})
	wantCode(t, "another tenant's hold", err, convstore.ENOTFOUND, "hold")
	_, err = r.HoldOnUser(f.ctx, a.ID, nil)
	wantCode(t, "no index", err, convstore.ENOTFOUND, "hold")
}

// EndUserListBelowRoot lists the records of every tenant under an older
// root, up to its limit; an update moves one to the root it gives.
func testEndUserBelowRoot(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	u1 := f.endUser(t, a.ID, "user_1", "", nil, 0)
	u2 := f.endUser(t, b.ID, "user_2", "", nil, 0)
	below := func(root uint32, limit int) []convstore.ID {
		t.Helper()
		rows, err := f.drv.Reads().EndUserListBelowRoot(f.ctx, root, limit)
		must(t, err)
		return ids(rows, func(r *driver.EndUserRow) convstore.ID { return r.ID })
	}
	if got := below(1, 10); len(got) != 0 {
		t.Errorf("below root 1: %v, want none", got)
	}
	if got := below(2, 10); len(got) != 2 {
		t.Errorf("below root 2: %v, want both tenants' records", got)
	}
	if got := below(2, 1); len(got) != 1 {
		t.Errorf("below root 2, limit 1: %v", got)
	}
	next := *u1
	next.IndexRoot = 2
	f.write(t, func(ctx context.Context, tx driver.Tx) error { _, err := tx.EndUserUpdate(ctx, &next); return err })
	if got := below(2, 10); len(got) != 1 || got[0] != u2.ID {
		t.Errorf("below root 2 after moving %v: %v, want %v", u1.ID, got, u2.ID)
	}
}
