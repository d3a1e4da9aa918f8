package sqlite

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
)

// Migration 0016 marks the conversations stored before it with messages
// as pending: their authors come from their messages (there are no rows
// of theirs yet), through appends and deletes too; an empty one and any
// made afterwards have their authors recorded.
func TestMigration0016PendingAuthors(t *testing.T) {
	ctx := context.Background()
	before := migratedTo(t, 10)
	tenant, old, empty := convstore.NewID(), convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	before.exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 1, ?, 3, 1, 1)`, idArg(old), idArg(tenant))
	before.exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 2, ?, 0, 1, 1)`, idArg(empty), idArg(tenant))
	msgs := []*convstore.Message{
		{ID: convstore.NewID(), AuthorName: "Ann"},
		{ID: convstore.NewID(), AuthorName: "Bob", Metadata: convstore.Metadata{convstore.MetaAuthorID: "bob@example.com"}},
		{ID: convstore.NewID(), AuthorName: "Ann"},
	}
	for _, m := range msgs {
		meta := any(nil)
		if m.Metadata != nil {
			meta = `{"` + convstore.MetaAuthorID + `":"bob@example.com"}`
		}
		before.exec(`INSERT INTO messages (id, tenant_id, conversation_id, role, content, author_name, metadata, created_at)
			VALUES (?, ?, ?, 'user', 'hi', ?, ?, 1)`, idArg(m.ID), idArg(tenant), idArg(old), m.AuthorName, meta)
	}
	before.close()

	svc, _, _ := openTest(t, before.dir, nil)
	want := func(what string, id convstore.ID, msgs []*convstore.Message) {
		t.Helper()
		got, err := svc.FindAuthors(ctx, tenant, []convstore.ID{id})
		if err != nil {
			t.Fatal(err)
		}
		w := convstore.AuthorsOf(msgs)
		if len(got[0]) != len(w) {
			t.Fatalf("%s: %d authors, want %d", what, len(got[0]), len(w))
		}
		for i := range w {
			if *got[0][i] != *w[i] {
				t.Errorf("%s: author %d = %+v, want %+v", what, i, got[0][i], w[i])
			}
		}
	}
	want("stored before 0016", old, msgs)
	added, err := svc.CreateMessages(ctx, tenant, old, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x", AuthorName: "Cy"}})
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, added...)
	want("appended to", old, msgs)
	if err := svc.DeleteMessage(ctx, tenant, old, msgs[0].ID, convstore.DeleteParams{RequestID: "req_1"}); err != nil {
		t.Fatal(err)
	}
	want("its first message deleted", old, msgs[1:])
	added, err = svc.CreateMessages(ctx, tenant, empty, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x", AuthorName: "Dee"}})
	if err != nil {
		t.Fatal(err)
	}
	want("empty before 0016", empty, added)
}
