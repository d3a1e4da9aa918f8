package drivertest

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// What a conversation's row keeps of its children (driver.Kept) equals,
// after every write of messages and artifacts, what MessageListEnds and
// ArtifactNewest read of them: through ConversationList and every form
// of ConversationDigestList, in and out of a transaction, for the tenant's
// conversations only; a hidden conversation keeps it and brings it back
// restored; a list of deleted ones shows none.
func testKept(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, idle := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	f.messages(t, b.ID, foreign.ID, 2)
	f.artifact(t, b.ID, foreign.ID, convstore.ArtifactSummary, "foreign")

	ms := func(n int64) *time.Duration { d := time.Duration(n) * time.Millisecond; return &d }
	appendMsgs := func(offsets ...[2]*time.Duration) []*driver.MessageRow {
		t.Helper()
		msgs := make([]*driver.MessageRow, len(offsets))
		for i, o := range offsets {
			msgs[i] = &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: c.ID, Role: convstore.RoleUser,
				Content: sealed("m"), StartOffset: o[0], EndOffset: o[1], CreatedAt: now()}}
		}
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: a.ID, ID: c.ID, Delta: len(msgs), UpdatedAt: now()}); err != nil {
				return err
			}
			return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: a.ID, ConversationID: c.ID, Messages: msgs})
		})
		return msgs
	}
	deleteMsg := func(m *driver.MessageRow) {
		t.Helper()
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: a.ID, ID: c.ID, Delta: -1, UpdatedAt: now()}); err != nil {
				return err
			}
			return tx.MessageDelete(ctx, a.ID, c.ID, m.ID)
		})
	}
	deleteArtifact := func(x *convstore.Artifact) {
		t.Helper()
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactDelete(ctx, a.ID, c.ID, x.ID) })
	}
	types := driver.KeptTypes[:]

	// check compares the kept values of the tenant's live conversations
	// with their children as read, wantLast the offsets expected of c.
	check := func(step string, wantLast [2]*time.Duration, wantNewest [2]*convstore.Artifact) {
		t.Helper()
		plain, err := f.drv.Reads().ConversationList(f.ctx, &driver.ConversationListParams{TenantID: a.ID, Page: page(10, false)})
		must(t, err)
		listed := ids(plain, func(c *driver.ConversationRow) convstore.ID { return c.ID })
		ends, err := f.drv.Reads().MessageListEnds(f.ctx, &driver.MessageListEndsParams{TenantID: a.ID, ConversationIDs: listed, Last: 1})
		must(t, err)
		newest, err := f.drv.Reads().ArtifactNewest(f.ctx, &driver.ArtifactNewestParams{TenantID: a.ID, ConversationIDs: listed, Types: types})
		must(t, err)
		want := make([]*driver.Kept, len(plain))
		for i, row := range plain {
			k := &driver.Kept{}
			if e := ends[row.ID]; e != nil && len(e.Last) > 0 {
				k.LastStartOffset, k.LastEndOffset = e.Last[0].StartOffset, e.Last[0].EndOffset
			}
			copy(k.Newest[:], newest[i])
			want[i] = k
			if row.ID == c.ID {
				if !reflect.DeepEqual([2]*time.Duration{k.LastStartOffset, k.LastEndOffset}, wantLast) {
					t.Fatalf("%s: the newest message's offsets read %v, %v; the test wants %v, %v", step,
						k.LastStartOffset, k.LastEndOffset, wantLast[0], wantLast[1])
				}
				if !reflect.DeepEqual(k.Newest, wantNewest) {
					t.Fatalf("%s: the newest artifacts read %+v; the test wants %+v", step, k.Newest, wantNewest)
				}
			}
		}
		compare := func(how string, rows []*driver.ConversationRow) {
			t.Helper()
			if len(rows) != len(plain) {
				t.Fatalf("%s, %s: %d conversations, want %d", step, how, len(rows), len(plain))
			}
			for i, row := range rows {
				if row.Kept == nil {
					t.Fatalf("%s, %s: conversation %d has no kept values", step, how, i)
				}
				if !reflect.DeepEqual(row.Kept, want[i]) {
					t.Errorf("%s, %s: conversation %d keeps %+v (%+v), want %+v (%+v)", step, how, i, *row.Kept, row.Kept.Newest, *want[i], want[i].Newest)
				}
				bare := *row
				bare.Kept = nil
				if !reflect.DeepEqual(&bare, plain[i]) {
					t.Errorf("%s, %s: conversation %d is %+v, want %+v", step, how, i, bare, plain[i])
				}
			}
		}
		list := driver.ConversationListParams{TenantID: a.ID, Page: page(10, false), Kept: true}
		rows, err := f.drv.Reads().ConversationList(f.ctx, &list)
		must(t, err)
		compare("ConversationList", rows)
		for _, p := range []driver.ConversationDigestListParams{
			{List: list},          // a list view's: the page only
			{List: list, Last: 1}, // a row per conversation with its children
			{List: list, Types: []convstore.ArtifactType{convstore.ArtifactTopic}},
			{List: list, First: 2, Authors: true}, // the batch, or the reads in turn
		} {
			got, err := f.drv.Reads().ConversationDigestList(f.ctx, &p)
			must(t, err)
			compare("ConversationDigestList outside a transaction", got.Conversations)
			must(t, f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error {
				got, err := r.ConversationDigestList(ctx, &p)
				if err == nil {
					compare("ConversationDigestList in a transaction", got.Conversations)
				}
				return err
			}))
		}
		// Another tenant's list keeps its own.
		other, err := f.drv.Reads().ConversationList(f.ctx, &driver.ConversationListParams{TenantID: b.ID, Page: page(10, false), Kept: true})
		must(t, err)
		if len(other) != 1 || other[0].Kept == nil || other[0].Kept.Newest[0] == nil || other[0].Kept.Newest[0].Text != sealed("foreign") {
			t.Errorf("%s: another tenant's list keeps %+v", step, other)
		}
	}

	check("new", [2]*time.Duration{}, [2]*convstore.Artifact{})
	first := appendMsgs([2]*time.Duration{ms(0), ms(1200)}, [2]*time.Duration{ms(1500), ms(4200)})
	check("an append", [2]*time.Duration{ms(1500), ms(4200)}, [2]*convstore.Artifact{})
	second := appendMsgs([2]*time.Duration{ms(5000), nil}, [2]*time.Duration{ms(6000), nil})
	check("an append whose newest has a start only", [2]*time.Duration{ms(6000), nil}, [2]*convstore.Artifact{})
	untimed := appendMsgs([2]*time.Duration{})
	check("an append without offsets", [2]*time.Duration{}, [2]*convstore.Artifact{})
	deleteMsg(untimed[0])
	check("the newest message deleted", [2]*time.Duration{ms(6000), nil}, [2]*convstore.Artifact{})
	deleteMsg(first[0])
	check("an older message deleted", [2]*time.Duration{ms(6000), nil}, [2]*convstore.Artifact{})
	for _, m := range []*driver.MessageRow{second[1], second[0], first[1]} {
		deleteMsg(m)
	}
	check("every message deleted", [2]*time.Duration{}, [2]*convstore.Artifact{})
	last := [2]*time.Duration{ms(7000), ms(9000)}
	appendMsgs(last)

	score := 0.5
	s1 := f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s1")
	an := &convstore.Artifact{ID: convstore.NewID(), ConversationID: c.ID, Type: convstore.ArtifactAnalysis, Text: sealed("an"),
		Data: json.RawMessage(sealed(`{"call_successful":"success"}`)), Score: &score, CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, a.ID, an) })
	check("a summary and an analysis", last, [2]*convstore.Artifact{s1, an})
	s2 := f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s2")
	topic := f.artifact(t, a.ID, c.ID, convstore.ArtifactTopic, "topic")
	check("a newer summary, a topic", last, [2]*convstore.Artifact{s2, an})
	deleteArtifact(topic)
	deleteArtifact(s2)
	check("the newest summary deleted", last, [2]*convstore.Artifact{s1, an})
	s3 := f.artifact(t, a.ID, c.ID, convstore.ArtifactSummary, "s3")
	deleteArtifact(s1)
	check("an older summary deleted", last, [2]*convstore.Artifact{s3, an})
	resealed := *s3
	resealed.Text, resealed.Data = sealed("s3 sealed again"), json.RawMessage(sealed(`{"again":true}`))
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactReseal(ctx, a.ID, &resealed) })
	check("the newest summary resealed", last, [2]*convstore.Artifact{&resealed, an})
	deleteArtifact(an)
	check("the analysis deleted", last, [2]*convstore.Artifact{&resealed, nil})
	if idle.MessageCount != 0 {
		t.Fatal("the idle conversation has messages")
	}

	// Hidden, then restored: as it was.
	d := &convstore.Deletion{ID: convstore.NewID(), TenantID: a.ID, ConversationID: c.ID, ConversationSeq: c.Seq, CreatedAt: now()}
	due := now().Add(time.Hour)
	d.RestorableUntil = &due
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ConversationHide(ctx, a.ID, c.ID); err != nil {
			return err
		}
		if err := tx.DeletionInsert(ctx, d); err != nil {
			return err
		}
		return tx.PurgeJobInsert(ctx, &driver.PurgeJob{TenantID: a.ID, ConversationID: c.ID, DeletionID: d.ID, CreatedAt: now(), DueAt: due})
	})
	hidden, err := f.drv.Reads().ConversationList(f.ctx, &driver.ConversationListParams{TenantID: a.ID, Page: page(10, false), Kept: true,
		Filter: &convstore.ConversationFilter{Deleted: true}, Now: now()})
	must(t, err)
	if len(hidden) != 1 || hidden[0].Kept != nil {
		t.Errorf("a list of deleted conversations: %d, the first keeping %+v; want 1 keeping nothing", len(hidden), hidden)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationRestore(ctx, a.ID, c.ID, now())
		return err
	})
	check("hidden and restored", last, [2]*convstore.Artifact{&resealed, nil})
}
