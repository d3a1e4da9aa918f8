package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// What a conversation's row keeps of its children (driver.Kept, migration
// 0021): the writes of messages and artifacts keep it in their own
// statements (an append in the INSERT's, no round trip more); a final
// delete clears it (a hidden conversation keeps it: it may come back as
// it was).

// keptColumns follow conversationColumns when a list reads the kept
// values: the newest message's offsets, then each kept artifact as a row
// of artifactColumns (its id second: the first is the conversation's).
var keptColumns = func() string {
	cols := []string{`last_start_offset, last_end_offset`}
	for _, t := range driver.KeptTypes {
		p := string(t) + "_"
		cols = append(cols, `id AS `+p+`conversation_id, `+p+`id, '`+string(t)+`'::text AS `+p+`type, `+p+`text, `+p+`data, `+
			p+`message_ids, `+p+`score, `+p+`created_at`)
	}
	return strings.Join(cols, ", ")
}()

// keptClear is the SET list of a final delete.
const keptClear = `last_message_id = NULL, last_start_offset = NULL, last_end_offset = NULL,
	summary_id = NULL, summary_text = NULL, summary_data = NULL, summary_message_ids = NULL, summary_score = NULL, summary_created_at = NULL,
	analysis_id = NULL, analysis_text = NULL, analysis_data = NULL, analysis_message_ids = NULL, analysis_score = NULL, analysis_created_at = NULL`

// keptArtifacts copies the newest artifact of each kept type again, as
// one statement after a write of the conversation's artifacts ($1
// tenant, $2 conversation).
var keptArtifacts = func() string {
	var sets []string
	for _, t := range driver.KeptTypes {
		p := string(t) + "_"
		sets = append(sets, `(`+p+`id, `+p+`text, `+p+`data, `+p+`message_ids, `+p+`score, `+p+`created_at) =
			(SELECT id, text, data, message_ids, score, created_at FROM artifacts
			 WHERE tenant_id = $1 AND conversation_id = $2 AND type = '`+string(t)+`' ORDER BY id DESC LIMIT 1)`)
	}
	return `UPDATE conversations SET ` + strings.Join(sets, ", ") + ` WHERE tenant_id = $1 AND id = $2 AND NOT deleted`
}()

// keptOn reports whether a list of p reads the kept values.
func keptOn(p *driver.ConversationListParams) bool {
	return p.Kept && (p.Filter == nil || !p.Filter.Deleted)
}

// listColumns are the columns a list of p reads.
func listColumns(p *driver.ConversationListParams) string {
	if keptOn(p) {
		return conversationColumns + `, ` + keptColumns
	}
	return conversationColumns
}

// scanConversationKept scans a row of conversationColumns and keptColumns
// (a row of rows).
func scanConversationKept(row pgx.Row) (*driver.ConversationRow, error) {
	rows, ok := row.(pgx.Rows)
	if !ok {
		return nil, errors.New("postgres: kept values are scanned from rows")
	}
	r := &partRow{rows: rows, dst: make([]any, len(rows.FieldDescriptions()))}
	c, err := scanConversation(r.next(conversationColumnCount))
	if err != nil {
		return nil, err
	}
	if c.Kept, err = scanKept(r); err != nil {
		return nil, err
	}
	return c, nil
}

// scanKept scans keptColumns, the next parts of r.
func scanKept(r *partRow) (*driver.Kept, error) {
	k := &driver.Kept{}
	var start, end *int64
	if err := r.next(2).Scan(&start, &end); err != nil {
		return nil, err
	}
	k.LastStartOffset, k.LastEndOffset = durationOf(start), durationOf(end)
	for i := range driver.KeptTypes {
		part := r.next(artifactColumnCount)
		if r.rows.RawValues()[part.from+1] == nil { // no artifact id: none kept
			continue
		}
		a, err := scanArtifact(part)
		if err != nil {
			return nil, err
		}
		k.Newest[i] = a
	}
	return k, nil
}

// keepArtifacts copies the conversation's newest kept artifacts again.
func (o *ops) keepArtifacts(ctx context.Context, tenantID, conversationID convstore.ID) error {
	_, err := o.exec(ctx, keptArtifacts, idArg(tenantID), idArg(conversationID))
	return err
}

// keptType reports whether t is one of driver.KeptTypes.
func keptType(t convstore.ArtifactType) bool {
	for _, k := range driver.KeptTypes {
		if k == t {
			return true
		}
	}
	return false
}
