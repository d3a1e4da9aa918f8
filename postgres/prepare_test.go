package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// TestStatementsPreparedOncePerConnection: the statements of a delete
// (what the service runs for one) are prepared once on a connection and
// then only executed: after many deletes on a one-connection pool, each
// appears once in the session's pg_prepared_statements, planned once per
// execution, and no new statement appeared after the first delete.
func TestStatementsPreparedOncePerConnection(t *testing.T) {
	t.Parallel()
	db := openInternal(t, Options{MaxConns: 1})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	tenant := &convstore.Tenant{ID: convstore.NewID(), Name: "prepared", CreatedAt: now}
	if err := db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		return tx.TenantInsert(ctx, tenant)
	}); err != nil {
		t.Fatal(err)
	}
	deleteOne := func() {
		t.Helper()
		id := convstore.NewID()
		err := db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			return tx.ConversationInsert(ctx, &driver.ConversationRow{Conversation: convstore.Conversation{ID: id, Seq: convstore.NewSeq(id), TenantID: tenant.ID, CreatedAt: now, UpdatedAt: now}})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, driver.OnConversation(tenant.ID, id), func(ctx context.Context, tx driver.Tx) error {
			d, err := tx.ConversationDelete(ctx, tenant.ID, id)
			if err != nil {
				return err
			}
			if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: d.BlobKeys, DueAt: now, Now: now}); err != nil {
				return err
			}
			if err := tx.DeletionInsert(ctx, &convstore.Deletion{ID: convstore.NewID(), TenantID: tenant.ID, ConversationID: id, ConversationSeq: d.Seq, CreatedAt: now}); err != nil {
				return err
			}
			return tx.AuditInsert(ctx, &convstore.AuditEntry{ID: convstore.NewID(), TenantID: tenant.ID, Action: convstore.AuditConversationDelete, ConversationID: id, CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	type prepared struct {
		sql   string
		plans int64
	}
	statements := func() []prepared {
		t.Helper()
		rows, err := db.pool.Query(ctx, `SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []prepared
		for rows.Next() {
			var p prepared
			if err := rows.Scan(&p.sql, &p.plans); err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
		}
		return out
	}

	deleteOne()
	first := len(statements())
	const more = 20
	for range more {
		deleteOne()
	}
	after := statements()
	if len(after) != first {
		t.Errorf("%d statements prepared after one delete, %d after %d more: statements are prepared again", first, len(after), more)
	}
	for _, want := range []string{"FOR UPDATE", "WITH gone AS", "INSERT INTO deletions", "INSERT INTO audit_log"} {
		found := 0
		for _, p := range after {
			if strings.Contains(p.sql, want) && !strings.Contains(p.sql, "pg_prepared_statements") {
				found++
				if p.plans < more+1 {
					t.Errorf("the statement with %q ran %d times prepared, want %d", want, p.plans, more+1)
				}
			}
		}
		if found != 1 {
			t.Errorf("the statement with %q is prepared %d times on the connection, want once", want, found)
		}
	}
}
