package drivertest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var purgeTests = []test{
	{"DeletedIsInvisible", testDeletedIsInvisible},
	{"PurgeBatches", testPurgeBatches},
	{"PurgeLeases", testPurgeLeases},
	{"RestoreWindow", testRestoreWindow},
}

// purgeFixture is a conversation with every kind of child, and another
// that must be left alone.
type purgeFixture struct {
	tenant      *convstore.Tenant
	conv, kept  *driver.ConversationRow
	msgs        []*driver.MessageRow
	art         *convstore.Artifact
	blobKeys    []string
	attachments int
}

func (f *fixture) purgeFixture(t *testing.T) *purgeFixture {
	a := f.tenant(t)
	p := &purgeFixture{tenant: a}
	p.conv = f.conversation(t, a.ID, func(c *convstore.Conversation) {
		c.ExternalID, c.UserID, c.Metadata = "ext-1", "u1", convstore.Metadata{"k": "v"}
	})
	p.kept = f.conversation(t, a.ID, nil)
	p.msgs = f.messages(t, a.ID, p.conv.ID, 7)
	f.messages(t, a.ID, p.kept.ID, 2)
	p.art = &convstore.Artifact{ID: convstore.NewID(), ConversationID: p.conv.ID, Type: convstore.ArtifactTopic, Text: "x", CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, a.ID, p.art) })
	for _, name := range []string{"x", "y", "z"} {
		p.blobKeys = append(p.blobKeys, f.attachment(t, a.ID, p.conv.ID, name, 10).BlobKey)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: a.ID, ConversationID: p.conv.ID, Epoch: 3, Wrapped: []byte("wrapped"), CreatedAt: now()})
	})
	slices.Sort(p.blobKeys)
	return p
}

// ConversationDelete hides the conversation and its children from every
// read at once, destroys its key and frees its external id, while its
// rows stay for the purge; it counts what they hold.
func testDeletedIsInvisible(t *testing.T, f *fixture) {
	p := f.purgeFixture(t)
	a, c := p.tenant.ID, p.conv.ID
	before := f.counts(t)
	var gone *driver.ConversationDeleted
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.ConversationDelete(ctx, a, c)
		return err
	})
	if gone.Seq != p.conv.Seq || gone.Messages != 7 || gone.Artifacts != 1 || gone.Attachments != 3 || gone.AttachmentBytes != 30 || gone.KeyEpoch != 3 {
		t.Errorf("ConversationDelete = %+v, want seq %d, 7 messages, 1 artifact, 3 attachments of 30 bytes, epoch 3", gone, p.conv.Seq)
	}
	if before != nil {
		after := f.counts(t)
		for _, table := range []string{"conversations", "messages", "artifacts", "attachments"} {
			if after[table] != before[table] {
				t.Errorf("%s: %d rows before the delete, %d after; the purge removes them", table, before[table], after[table])
			}
		}
	}
	r := f.drv.Reads()
	ctx := f.ctx
	_, err := r.ConversationGetByID(ctx, a, c)
	wantCode(t, "ConversationGetByID", err, convstore.ENOTFOUND, "conversation")
	_, err = r.ConversationGetBySeq(ctx, a, p.conv.Seq)
	wantCode(t, "ConversationGetBySeq", err, convstore.ENOTFOUND, "conversation")
	_, err = r.ConversationGetByExternalID(ctx, a, blind("external_id", "ext-1"), "ext-1")
	wantCode(t, "ConversationGetByExternalID", err, convstore.ENOTFOUND, "conversation")
	for _, filter := range []*convstore.ConversationFilter{{}, {UserID: "u1"}, {Metadata: convstore.Metadata{"k": "v"}}, {Seq: p.conv.Seq}} {
		list, err := r.ConversationList(ctx, listParams(a, filter, page(10, false)))
		must(t, err)
		if slices.Contains(ids(list, func(c *driver.ConversationRow) convstore.ID { return c.ID }), c) {
			t.Errorf("ConversationList(%+v) lists the deleted conversation", filter)
		}
		n, err := r.ConversationCount(ctx, listParams(a, filter, page(10, false)))
		must(t, err)
		want := 0
		if filter.UserID == "" && filter.Metadata == nil && filter.Seq == 0 {
			want = 1 // the other conversation
		}
		if n != want {
			t.Errorf("ConversationCount(%+v) = %d, want %d", filter, n, want)
		}
	}
	for _, conv := range []convstore.ID{c, {}} {
		_, err = r.MessageGet(ctx, a, conv, p.msgs[0].ID)
		wantCode(t, "MessageGet", err, convstore.ENOTFOUND, "message")
		_, err = r.ArtifactGet(ctx, a, conv, p.art.ID)
		wantCode(t, "ArtifactGet", err, convstore.ENOTFOUND, "artifact")
	}
	empty := func(what string, n int, err error) {
		t.Helper()
		if err != nil || n != 0 {
			t.Errorf("%s of the deleted conversation: %d, %v; want none", what, n, err)
		}
	}
	msgs, err := r.MessageList(ctx, &driver.MessageListParams{TenantID: a, ConversationID: c, Page: page(10, false)})
	empty("MessageList", len(msgs), err)
	n, err := r.MessageCountIn(ctx, a, c, []convstore.ID{p.msgs[0].ID, p.msgs[1].ID})
	empty("MessageCountIn", n, err)
	ends, err := r.MessageListEnds(ctx, &driver.MessageListEndsParams{TenantID: a, ConversationIDs: []convstore.ID{c, p.kept.ID}, First: 2, Last: 2})
	must(t, err)
	if e := ends[c]; e != nil {
		t.Errorf("MessageListEnds of the deleted conversation: %d and %d messages", len(e.First), len(e.Last))
	}
	if ends[p.kept.ID] == nil {
		t.Error("MessageListEnds lost the other conversation")
	}
	ranges, err := r.MessageListRanges(ctx, &driver.MessageListRangesParams{TenantID: a, Ranges: []driver.MessageRange{{ConversationID: c, Page: page(10, false)}}})
	empty("MessageListRanges", len(ranges[0]), err)
	arts, err := r.ArtifactList(ctx, &driver.ArtifactListParams{TenantID: a, ConversationID: c, Page: page(10, false)})
	empty("ArtifactList", len(arts), err)
	arts, err = r.ArtifactList(ctx, &driver.ArtifactListParams{TenantID: a, ConversationID: c, Type: convstore.ArtifactTopic, Page: page(10, false)})
	empty("ArtifactList by type", len(arts), err)
	aranges, err := r.ArtifactListRanges(ctx, &driver.ArtifactListRangesParams{TenantID: a, Ranges: []driver.ArtifactRange{{ConversationID: c, Page: page(10, false)}}})
	empty("ArtifactListRanges", len(aranges[0]), err)
	_, err = r.AttachmentGetByName(ctx, a, c, byName("x"))
	wantCode(t, "AttachmentGetByName", err, convstore.ENOTFOUND, "attachment")
	atts, err := r.AttachmentList(ctx, &driver.AttachmentListParams{TenantID: a, ConversationID: c, Page: page(10, false)})
	empty("AttachmentList", len(atts), err)
	n, err = r.AttachmentCount(ctx, a, c)
	empty("AttachmentCount", n, err)
	_, err = r.ConversationKeyGet(ctx, a, c)
	wantCode(t, "ConversationKeyGet", err, convstore.ENOTFOUND, "conversation key")
	// No write reaches it either.
	for what, fn := range map[string]func(ctx context.Context, tx driver.Tx) error{
		"ConversationLock": func(ctx context.Context, tx driver.Tx) error {
			return tx.ConversationLock(ctx, a, c, driver.LockShare, "conversation")
		},
		"ConversationBumpMessages": func(ctx context.Context, tx driver.Tx) error {
			_, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: a, ID: c, Delta: 1, UpdatedAt: now()})
			return err
		},
		"ConversationUpdate": func(ctx context.Context, tx driver.Tx) error {
			title := "t"
			_, err := tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a, ID: c, Title: &title, UpdatedAt: now()})
			return err
		},
		"ConversationKeyInsert": func(ctx context.Context, tx driver.Tx) error {
			return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: a, ConversationID: c, Epoch: 1, Wrapped: []byte("k"), CreatedAt: now()})
		},
		"ConversationDelete": func(ctx context.Context, tx driver.Tx) error {
			_, err := tx.ConversationDelete(ctx, a, c)
			return err
		},
	} {
		wantCode(t, what+" of a deleted conversation", f.try(fn), convstore.ENOTFOUND, "conversation")
	}
	// Its external id is free again.
	f.conversation(t, a, func(c *convstore.Conversation) { c.ExternalID = "ext-1" })
}

// PurgeBatch removes a deleted conversation's rows in batches of at most
// the limit, attachments first with their blob keys, then the row itself;
// PurgeJobFinish stamps the receipt and drops the job.
func testPurgeBatches(t *testing.T, f *fixture) {
	p := f.purgeFixture(t)
	a, c := p.tenant.ID, p.conv.ID
	d := &convstore.Deletion{ID: convstore.NewID(), TenantID: a, ConversationID: c, ConversationSeq: p.conv.Seq, CreatedAt: now()}
	job := &driver.PurgeJob{TenantID: a, ConversationID: c, DeletionID: d.ID, CreatedAt: now()}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: a, ConversationID: c, Limit: 10})
		return err
	})
	wantCode(t, "purging a live conversation", err, convstore.ENOTFOUND, "conversation")
	before := f.counts(t)
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ConversationDelete(ctx, a, c); err != nil {
			return err
		}
		if err := tx.DeletionInsert(ctx, d); err != nil {
			return err
		}
		return tx.PurgeJobInsert(ctx, job)
	})
	if n, err := f.drv.Reads().PurgeJobCount(f.ctx); err != nil || n != 1 {
		t.Fatalf("PurgeJobCount = %d, %v; want 1", n, err)
	}
	var keys []string
	var after convstore.ID
	rows, batches := 0, 0
	for done := false; !done; batches++ {
		if batches > 10 {
			t.Fatal("the purge does not end")
		}
		var r *driver.PurgeBatchResult
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: a, ConversationID: c, Limit: 2, After: after})
			return err
		})
		if !r.Last.IsZero() && bytes.Compare(r.Last[:], after[:]) <= 0 {
			t.Errorf("a batch after %v ended at %v", after, r.Last)
		}
		after = r.Last
		if r.Rows > 2 {
			t.Errorf("a batch of limit 2 removed %d rows", r.Rows)
		}
		rows += r.Rows
		keys = append(keys, r.BlobKeys...)
		done = r.Done
	}
	slices.Sort(keys)
	if last := p.msgs[len(p.msgs)-1].ID; after != (convstore.ID{}) && after != last {
		t.Errorf("the last batch's cursor %v, want the last message %v", after, last)
	}
	if rows != 11 || !slices.Equal(keys, p.blobKeys) || batches != 6 {
		t.Errorf("purged %d rows in %d batches with keys %v; want 11 in 6 with %v", rows, batches, keys, p.blobKeys)
	}
	if before != nil {
		after := f.counts(t)
		for table, n := range map[string]int{"conversations": 1, "messages": 7, "artifacts": 1, "attachments": 3} {
			if before[table]-after[table] != n {
				t.Errorf("%s: %d rows before, %d after; want %d fewer", table, before[table], after[table], n)
			}
		}
	}
	// Purging what is gone is done at once (a purger that resumes).
	var r *driver.PurgeBatchResult
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: a, ConversationID: c, Limit: 2})
		return err
	})
	if !r.Done || r.Rows != 0 {
		t.Errorf("purging a purged conversation: %+v", r)
	}
	at := now()
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobFinish(ctx, job, at) })
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobFinish(ctx, job, at.Add(time.Hour)) })
	got, err := f.drv.Reads().DeletionGet(f.ctx, a, d.ID)
	must(t, err)
	if got.PurgedAt == nil || !got.PurgedAt.Equal(at) {
		t.Errorf("purged_at = %v, want %v", got.PurgedAt, at)
	}
	if n, err := f.drv.Reads().PurgeJobCount(f.ctx); err != nil || n != 0 {
		t.Errorf("PurgeJobCount after finishing = %d, %v", n, err)
	}
	msgs, err := f.drv.Reads().MessageList(f.ctx, &driver.MessageListParams{TenantID: a, ConversationID: p.kept.ID, Page: page(10, false)})
	if err != nil || len(msgs) != 2 {
		t.Errorf("the other conversation: %d messages, %v", len(msgs), err)
	}
}

// A job is leased to one purger at a time; once its lease ends, another
// claims it, and the first can no longer renew it.
func testPurgeLeases(t *testing.T, f *fixture) {
	a := f.tenant(t)
	t0 := now()
	var jobs []*driver.PurgeJob
	for i := range 3 {
		c := f.conversation(t, a.ID, nil)
		j := &driver.PurgeJob{TenantID: a.ID, ConversationID: c.ID, DeletionID: convstore.NewID(), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			if _, err := tx.ConversationDelete(ctx, a.ID, c.ID); err != nil {
				return err
			}
			return tx.PurgeJobInsert(ctx, j)
		})
		jobs = append(jobs, j)
	}
	claim := func(owner convstore.ID, at time.Time, limit int) []*driver.PurgeJob {
		t.Helper()
		var got []*driver.PurgeJob
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			got, err = tx.PurgeJobClaim(ctx, &driver.PurgeJobClaimParams{Now: at, Owner: owner, Until: at.Add(time.Minute), Limit: limit})
			return err
		})
		return got
	}
	dead, alive := convstore.NewID(), convstore.NewID()
	got := claim(dead, t0, 2)
	if len(got) != 2 || got[0].ConversationID != jobs[0].ConversationID || got[1].ConversationID != jobs[1].ConversationID ||
		got[0].LeaseOwner != dead || !got[0].LeaseUntil.Equal(t0.Add(time.Minute)) || got[0].DeletionID != jobs[0].DeletionID {
		t.Fatalf("first claim = %+v, want the two oldest jobs leased to the claimer", got)
	}
	if got := claim(alive, t0.Add(time.Second), 5); len(got) != 1 || got[0].ConversationID != jobs[2].ConversationID {
		t.Fatalf("a claim during the leases = %+v, want only the free job", got)
	}
	renew := func(owner convstore.ID, j *driver.PurgeJob, until time.Time) error {
		return f.try(func(ctx context.Context, tx driver.Tx) error {
			return tx.PurgeJobRenew(ctx, j.ConversationID, owner, until)
		})
	}
	must(t, renew(dead, jobs[0], t0.Add(2*time.Minute)))
	wantCode(t, "renewing another purger's job", renew(alive, jobs[1], t0.Add(time.Hour)), convstore.ENOTFOUND, "purge job")
	// The first purger dies: its renewed lease of job 0 ends at t0+2m,
	// job 1's at t0+1m.
	// The dead purger's job 1 (and the live one's own job 2, leased
	// until t0+61s) are free at t0+90s; job 0 is not.
	if got := claim(alive, t0.Add(90*time.Second), 5); len(got) != 2 || got[0].ConversationID != jobs[1].ConversationID ||
		got[1].ConversationID != jobs[2].ConversationID {
		t.Fatalf("a claim after two leases ended = %d jobs, want jobs 1 and 2", len(got))
	}
	if got := claim(alive, t0.Add(3*time.Minute), 5); len(got) != 3 {
		t.Fatalf("a claim after every lease ended = %d jobs, want 3", len(got))
	}
	wantCode(t, "the dead purger renewing", renew(dead, jobs[0], t0.Add(time.Hour)), convstore.ENOTFOUND, "purge job")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobFinish(ctx, jobs[0], t0) })
	wantCode(t, "renewing a finished job", renew(alive, jobs[0], t0.Add(time.Hour)), convstore.ENOTFOUND, "purge job")
}

// purgeAll purges a deleted conversation to the end and returns the blob
// keys of its attachments.
func (f *fixture) purgeAll(tb testing.TB, tenantID, convID convstore.ID) []string {
	tb.Helper()
	var keys []string
	for range 100 {
		var r *driver.PurgeBatchResult
		f.write(tb, func(ctx context.Context, tx driver.Tx) (err error) {
			r, err = tx.PurgeBatch(ctx, &driver.PurgeBatchParams{TenantID: tenantID, ConversationID: convID, Limit: 1000})
			return err
		})
		keys = append(keys, r.BlobKeys...)
		if r.Done {
			return keys
		}
	}
	tb.Fatal("the purge does not end")
	return nil
}
