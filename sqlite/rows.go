package sqlite

import (
	"context"

	"github.com/convstore/convstore"
)

// dataTables are the tables holding tenant data, the same as the
// PostgreSQL driver's (pgtest counts them). blob_removals (a work queue)
// and goose_db_version are not tenant data.
var dataTables = []string{"tenants", "api_keys", "access_tokens", "conversations", "conversation_keys", "messages", "artifacts", "attachments", "deletions", "audit_log", "holds",
	"conversation_authors", "conversation_authors_pending", "events", "event_seqs",
	"webhooks", "webhook_deliveries", "webhook_attempts", "processors", "confirmations", "message_external_ids", "cors_origins",
	"message_ids_pending", "end_users", "end_user_meta_index", "tags", "conversation_tags"}

// conversationTables maps the tables whose rows belong to a conversation
// to the column naming it. Receipts and audit entries name it too but
// outlive it by design, so they are not counted: after a delete every
// count here must be zero.
var conversationTables = map[string]string{
	"conversations":     "id",
	"conversation_keys": "conversation_id",
	"messages":          "conversation_id",
	"artifacts":         "conversation_id",
	"attachments":       "conversation_id",
	"purge_jobs":        "conversation_id",
	// Kept from the messages (see migration 0016).
	"conversation_authors":         "conversation_id",
	"conversation_authors_pending": "conversation_id",
	// Kept with the messages (see migration 0022).
	"message_external_ids": "conversation_id",
	// Their backfill's queue (see migration 0025).
	"message_ids_pending": "conversation_id",
	// Its tags (see migration 0026).
	"conversation_tags": "conversation_id",
}

// RowCounts returns the number of rows of every table holding tenant data
// (all tenants), keyed by table name, as pgtest counts PostgreSQL's. It
// is for the conformance suites and for operators checking a store.
func (db *DB) RowCounts(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int, len(dataTables))
	for _, table := range dataTables {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return nil, db.translate(err)
		}
		out[table] = n
	}
	return out, nil
}

// ConversationRows returns, per table, how many rows belong to the
// conversation (of any tenant); after a delete every count is zero. It is
// for the conformance suites and for operators verifying an erasure.
func (db *DB) ConversationRows(ctx context.Context, id convstore.ID) (map[string]int, error) {
	out := make(map[string]int, len(conversationTables))
	for table, column := range conversationTables {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+column+` = ?`, idArg(id)).Scan(&n); err != nil {
			return nil, db.translate(err)
		}
		out[table] = n
	}
	return out, nil
}
