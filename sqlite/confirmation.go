package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const (
	processorColumns    = `id, tenant_id, name, deadline_seconds, created_at`
	confirmationColumns = `deletion_id, processor, due_at, confirmed_at, note, overdue_at, withdrawn_at`
	// confirmationOpen is the condition of a confirmation still required.
	confirmationOpen = `confirmed_at IS NULL AND withdrawn_at IS NULL`
)

var (
	qProcessorList   = stmt(`SELECT ` + processorColumns + ` FROM processors WHERE tenant_id = ? ORDER BY name`)
	qProcessorGet    = stmt(`SELECT ` + processorColumns + ` FROM processors WHERE tenant_id = ? AND name = ?`)
	qProcessorInsert = stmt(`INSERT INTO processors (` + processorColumns + `) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qProcessorUpdate = stmt(`UPDATE processors SET deadline_seconds = ? WHERE tenant_id = ? AND name = ? RETURNING ` + processorColumns)
	qProcessorDelete = stmt(`DELETE FROM processors WHERE tenant_id = ? AND name = ? RETURNING ` + processorColumns)
	// One statement per delete, a probe of processors' (tenant, name)
	// index that finds nothing for a tenant without processors.
	qConfirmationInsertAll = stmt(`INSERT INTO confirmations (deletion_id, processor_id, tenant_id, processor, conversation_id, due_at)
		SELECT ?1, id, tenant_id, name, ?2, ?3 + deadline_seconds * 1000000 FROM processors WHERE tenant_id = ?4
		RETURNING ` + confirmationColumns)
	qConfirmationConfirm = stmt(`UPDATE confirmations SET confirmed_at = ?, note = ?
		WHERE tenant_id = ? AND deletion_id = ? AND processor = ? AND ` + confirmationOpen)
	qConfirmationWithdrawProcessor = stmt(`UPDATE confirmations SET withdrawn_at = ?
		WHERE tenant_id = ? AND processor_id = ? AND ` + confirmationOpen + ` RETURNING deletion_id`)
	qConfirmationWithdrawDeletion = stmt(`UPDATE confirmations SET withdrawn_at = ?
		WHERE tenant_id = ? AND deletion_id = ? AND ` + confirmationOpen + ` RETURNING deletion_id`)
	qConfirmationMarkOverdue = stmt(`UPDATE confirmations SET overdue_at = ?1
		WHERE rowid IN (SELECT rowid FROM confirmations WHERE ` + confirmationOpen + ` AND due_at <= ?1 AND overdue_at IS NULL
			ORDER BY due_at LIMIT ?2)
		RETURNING tenant_id, deletion_id, conversation_id, processor, due_at`)
	qConfirmationCounts = stmt(`SELECT count(*) - count(NULLIF(open, 0)), count(NULLIF(open, 0)), count(NULLIF(late, 0)) FROM (
		SELECT (SELECT count(*) FROM confirmations c WHERE c.deletion_id = d.id AND c.` + confirmationOpen + `) AS open,
			(SELECT count(*) FROM confirmations c WHERE c.deletion_id = d.id AND c.` + confirmationOpen + ` AND c.due_at <= ?1) AS late
		FROM deletions d WHERE d.tenant_id = ?2 AND d.erasure_id = ?3)`)
	qConfirmationStats = stmt(`SELECT processor, count(*), count(CASE WHEN due_at <= ? THEN 1 END)
		FROM confirmations WHERE ` + confirmationOpen + ` GROUP BY processor ORDER BY processor`)
)

func scanProcessor(row scanner) (*convstore.Processor, error) {
	p := &convstore.Processor{}
	var secs int64
	if err := row.Scan(idScan{&p.ID}, idScan{&p.TenantID}, &p.Name, &secs, timeScan{&p.CreatedAt}); err != nil {
		return nil, err
	}
	p.Deadline = time.Duration(secs) * time.Second
	return p, nil
}

// scanConfirmation scans a row of confirmationColumns.
func scanConfirmation(row scanner, deletionID *convstore.ID) (convstore.Confirmation, error) {
	var c convstore.Confirmation
	err := row.Scan(idScan{deletionID}, &c.Processor, timeScan{&c.DueAt}, nullTimeScan{&c.ConfirmedAt}, &c.Note,
		nullTimeScan{&c.OverdueAt}, nullTimeScan{&c.WithdrawnAt})
	return c, err
}

func (o *ops) ProcessorList(ctx context.Context, tenantID convstore.ID) ([]*convstore.Processor, error) {
	return list(ctx, o, qProcessorList, []any{idArg(tenantID)}, scanProcessor)
}

func (o *ops) ProcessorGet(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	return one(ctx, o, qProcessorGet, []any{idArg(tenantID), name}, "processor", scanProcessor)
}

func (o *ops) ProcessorInsert(ctx context.Context, p *convstore.Processor) error {
	res, err := o.run.exec(ctx, qProcessorInsert, idArg(p.ID), idArg(p.TenantID), p.Name, int64(p.Deadline/time.Second), micros(p.CreatedAt))
	return o.db.insertedOne(res, err, driver.ErrProcessorTaken, "tenant")
}

func (o *ops) ProcessorUpdate(ctx context.Context, tenantID convstore.ID, name string, deadline time.Duration) (*convstore.Processor, error) {
	return one(ctx, o, qProcessorUpdate, []any{int64(deadline / time.Second), idArg(tenantID), name}, "processor", scanProcessor)
}

func (o *ops) ProcessorDelete(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	return one(ctx, o, qProcessorDelete, []any{idArg(tenantID), name}, "processor", scanProcessor)
}

func (o *ops) ConfirmationInsertAll(ctx context.Context, d *convstore.Deletion) ([]convstore.Confirmation, error) {
	rows, err := o.run.query(ctx, qConfirmationInsertAll, idArg(d.ID), idArg(d.ConversationID), micros(d.CreatedAt), idArg(d.TenantID))
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	var out []convstore.Confirmation
	for rows.Next() {
		var id convstore.ID
		c, err := scanConfirmation(rows, &id)
		if err != nil {
			return nil, o.db.translate(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, o.db.translate(err)
	}
	driver.SortConfirmations(out) // RETURNING has no order
	return out, nil
}

func (o *ops) ConfirmationList(ctx context.Context, tenantID convstore.ID, deletionIDs []convstore.ID) (map[convstore.ID][]convstore.Confirmation, error) {
	out := map[convstore.ID][]convstore.Confirmation{}
	if len(deletionIDs) == 0 {
		return out, nil
	}
	args := []any{idArg(tenantID)}
	for _, id := range deletionIDs {
		args = append(args, idArg(id))
	}
	rows, err := o.run.query(ctx, `SELECT `+confirmationColumns+` FROM confirmations
		WHERE tenant_id = ? AND deletion_id IN (`+placeholders(len(deletionIDs))+`) ORDER BY deletion_id, processor, processor_id`, args...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id convstore.ID
		c, err := scanConfirmation(rows, &id)
		if err != nil {
			return nil, o.db.translate(err)
		}
		out[id] = append(out[id], c)
	}
	return out, o.db.translate(rows.Err())
}

func (o *ops) ConfirmationCounts(ctx context.Context, tenantID, erasureID convstore.ID, now time.Time) (convstore.ConfirmationCounts, error) {
	var c convstore.ConfirmationCounts
	err := o.run.queryRow(ctx, qConfirmationCounts, micros(now), idArg(tenantID), idArg(erasureID)).Scan(&c.Complete, &c.Pending, &c.Overdue)
	return c, o.db.translate(err)
}

func (o *ops) ConfirmationStats(ctx context.Context, now time.Time) ([]driver.ProcessorBacklog, error) {
	return list(ctx, o, qConfirmationStats, []any{micros(now)}, func(row scanner) (driver.ProcessorBacklog, error) {
		var b driver.ProcessorBacklog
		err := row.Scan(&b.Processor, &b.Pending, &b.Overdue)
		return b, err
	})
}

// ConfirmationLock has nothing to lock: with one writer, no other
// confirmation runs until the transaction ends.
func (o *ops) ConfirmationLock(ctx context.Context, tenantID, deletionID convstore.ID) error {
	return nil
}

func (o *ops) ConfirmationConfirm(ctx context.Context, tenantID, deletionID convstore.ID, processor string, at time.Time, note string) (bool, error) {
	res, err := o.run.exec(ctx, qConfirmationConfirm, micros(at), note, idArg(tenantID), idArg(deletionID), processor)
	n, err := o.db.rowsAffected(res, err)
	return n > 0, err
}

func (o *ops) ConfirmationWithdraw(ctx context.Context, tenantID, processorID, deletionID convstore.ID, at time.Time) ([]convstore.ID, error) {
	q, args := qConfirmationWithdrawDeletion, []any{micros(at), idArg(tenantID), idArg(deletionID)}
	if !processorID.IsZero() {
		q, args = qConfirmationWithdrawProcessor, []any{micros(at), idArg(tenantID), idArg(processorID)}
	}
	ids, err := list(ctx, o, q, args, func(row scanner) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(idScan{&id})
		return id, err
	})
	return dedupIDs(ids), err
}

func (o *ops) ConfirmationMarkOverdue(ctx context.Context, now time.Time, limit int) ([]driver.OverdueConfirmation, error) {
	return list(ctx, o, qConfirmationMarkOverdue, []any{micros(now), limit}, func(row scanner) (driver.OverdueConfirmation, error) {
		var c driver.OverdueConfirmation
		err := row.Scan(idScan{&c.TenantID}, idScan{&c.DeletionID}, idScan{&c.ConversationID}, &c.Processor, timeScan{&c.DueAt})
		return c, err
	})
}

// dedupIDs removes repeated ids, keeping the first of each.
func dedupIDs(ids []convstore.ID) []convstore.ID {
	seen := make(map[convstore.ID]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
