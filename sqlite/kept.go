package sqlite

import (
	"bytes"
	"context"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// What a conversation's row keeps of its children (driver.Kept, migration
// 0021): the writes of messages and artifacts keep it in the statements
// below, in their transaction; a final delete clears it (a hidden
// conversation keeps it: it may come back as it was).

// keptArtifactColumns selects a kept artifact as a row of artifactColumns.
func keptArtifactColumns(t convstore.ArtifactType) string {
	p := string(t) + "_"
	return p + `id, id AS ` + p + `conversation_id, '` + string(t) + `' AS ` + p + `type, ` + p + `text, ` + p + `data, ` + p + `message_ids, ` + p + `score, ` + p + `created_at`
}

// keptColumns follow conversationColumns when a list reads the kept
// values: the newest message's offsets, then each kept artifact.
var keptColumns = func() string {
	cols := []string{`last_start_offset, last_end_offset`}
	for _, t := range driver.KeptTypes {
		cols = append(cols, keptArtifactColumns(t))
	}
	return strings.Join(cols, ", ")
}()

var conversationColumnCount = strings.Count(conversationColumns, ",") + 1

// The lists of a tenant's live conversations without a filter, with and
// without the kept values, registered to be prepared once per pool:
// ConversationList builds exactly these forms (see pageOf), which then
// run without parsing (the kept form's 31 columns cost a list more to
// parse than to read).
var (
	_ = pagedStmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND deleted = 0`)
	_ = pagedStmt(`SELECT ` + conversationColumns + `, ` + keptColumns + ` FROM conversations WHERE tenant_id = ? AND deleted = 0`)
)

// keptStmts are the statements that keep the values.
var (
	// qKeptLast records a batch's newest message if it is newer than the
	// one recorded (a batch's ids are drawn in order, under the row's
	// lock, so it is; the test makes the record right whatever the order).
	qKeptLast = stmt(`UPDATE conversations SET last_message_id = ?3, last_start_offset = ?4, last_end_offset = ?5
		WHERE tenant_id = ?1 AND id = ?2 AND (last_message_id IS NULL OR last_message_id < ?3)`)
	// qKeptLastAgain reads the newest message again after a delete of
	// the recorded one (none left: NULLs).
	qKeptLastAgain = stmt(`UPDATE conversations SET (last_message_id, last_start_offset, last_end_offset) =
		(SELECT id, start_offset, end_offset FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2 ORDER BY id DESC LIMIT 1)
		WHERE tenant_id = ?1 AND id = ?2 AND last_message_id = ?3`)
	// qKeptArtifact[i] copies the newest artifact of KeptTypes[i] again.
	qKeptArtifact = func() (q [len(driver.KeptTypes)]string) {
		for i, t := range driver.KeptTypes {
			p := string(t) + "_"
			q[i] = stmt(`UPDATE conversations SET (` + p + `id, ` + p + `text, ` + p + `data, ` + p + `message_ids, ` + p + `score, ` + p + `created_at) =
				(SELECT id, text, data, message_ids, score, created_at FROM artifacts
				 WHERE tenant_id = ?1 AND conversation_id = ?2 AND type = '` + string(t) + `' ORDER BY id DESC LIMIT 1)
				WHERE tenant_id = ?1 AND id = ?2 AND deleted = 0`)
		}
		return q
	}()
)

// keptClear is the SET list of a final delete.
const keptClear = `last_message_id = NULL, last_start_offset = NULL, last_end_offset = NULL,
	summary_id = NULL, summary_text = NULL, summary_data = NULL, summary_message_ids = NULL, summary_score = NULL, summary_created_at = NULL,
	analysis_id = NULL, analysis_text = NULL, analysis_data = NULL, analysis_message_ids = NULL, analysis_score = NULL, analysis_created_at = NULL`

// keptOn reports whether a list of p reads the kept values.
func keptOn(p *driver.ConversationListParams) bool {
	return p.Kept && (p.Filter == nil || !p.Filter.Deleted)
}

// scanConversationKept scans a row of conversationColumns and keptColumns.
func scanConversationKept(row scanner) (*driver.ConversationRow, error) {
	vals := make([]any, conversationColumnCount+2+len(driver.KeptTypes)*artifactColumnCount)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := row.Scan(ptrs...); err != nil {
		return nil, err
	}
	r := &valueRow{vals: vals}
	c, err := scanConversation(r.next(conversationColumnCount))
	if err != nil {
		return nil, err
	}
	k := &driver.Kept{}
	if err := r.next(2).Scan(durationScan{&k.LastStartOffset}, durationScan{&k.LastEndOffset}); err != nil {
		return nil, err
	}
	for i := range driver.KeptTypes {
		if a := r.next(artifactColumnCount); a.present() {
			if k.Newest[i], err = scanArtifact(a); err != nil {
				return nil, err
			}
		}
	}
	c.Kept = k
	return c, nil
}

// keepLast records the newest of a batch of messages just inserted.
func (o *ops) keepLast(ctx context.Context, tenantID, conversationID convstore.ID, msgs []*driver.MessageRow) error {
	var newest *driver.MessageRow
	for _, m := range msgs {
		if newest == nil || bytes.Compare(m.ID[:], newest.ID[:]) > 0 {
			newest = m
		}
	}
	if newest == nil {
		return nil
	}
	_, err := o.run.exec(ctx, qKeptLast, idArg(tenantID), idArg(conversationID), idArg(newest.ID),
		durationArg(newest.StartOffset), durationArg(newest.EndOffset))
	return o.db.translate(err)
}

// keepArtifacts copies the conversation's newest kept artifacts again.
func (o *ops) keepArtifacts(ctx context.Context, tenantID, conversationID convstore.ID) error {
	for _, q := range qKeptArtifact {
		if _, err := o.run.exec(ctx, q, idArg(tenantID), idArg(conversationID)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
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
