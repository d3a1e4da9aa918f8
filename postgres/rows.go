package postgres

import (
	"context"

	"github.com/convstore/convstore"
)

// dataTables are the tables holding tenant data, the same as the SQLite
// engine's. blob_removals (a work queue), the built-in blob store's tables
// (checked through the BlobStore instead) and goose_db_version are not.
var dataTables = []string{"tenants", "api_keys", "access_tokens", "conversations", "messages", "artifacts", "attachments", "deletions", "audit_log"}

// conversationTables maps the tables whose rows belong to a conversation
// to the column naming it. Receipts and audit entries name it too but
// outlive it by design, so they are not counted.
var conversationTables = map[string]string{
	"conversations": "id",
	"messages":      "conversation_id",
	"artifacts":     "conversation_id",
	"attachments":   "conversation_id",
}

// RowCounts returns the number of rows of every table holding tenant data
// (all tenants), keyed by table name, as the SQLite engine counts them.
// It is for the conformance suite and for operators checking a store.
func (db *DB) RowCounts(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int, len(dataTables))
	for _, table := range dataTables {
		var n int
		if err := db.reads.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return nil, db.translate(ctx, err)
		}
		out[table] = n
	}
	return out, nil
}

// ConversationRows returns, per table, how many rows belong to the
// conversation (of any tenant); after a delete every count is zero. It is
// for the conformance suite and for operators verifying an erasure.
func (db *DB) ConversationRows(ctx context.Context, id convstore.ID) (map[string]int, error) {
	out := make(map[string]int, len(conversationTables))
	for table, column := range conversationTables {
		var n int
		if err := db.reads.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE `+column+` = $1`, id[:]).Scan(&n); err != nil {
			return nil, db.translate(ctx, err)
		}
		out[table] = n
	}
	return out, nil
}
