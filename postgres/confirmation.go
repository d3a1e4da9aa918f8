package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const (
	processorColumns    = `tenant_id, id, name, deadline_seconds, created_at`
	confirmationColumns = `deletion_id, processor, due_at, confirmed_at, note, overdue_at, withdrawn_at`
	// confirmationOpen is the condition of a confirmation still required.
	confirmationOpen = `confirmed_at IS NULL AND withdrawn_at IS NULL`
)

func scanProcessor(row pgx.Row) (*convstore.Processor, error) {
	p := &convstore.Processor{}
	var secs int64
	err := row.Scan(scanID(&p.TenantID), scanID(&p.ID), &p.Name, &secs, &p.CreatedAt)
	p.Deadline = time.Duration(secs) * time.Second
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// scanConfirmation scans a row of confirmationColumns.
func scanConfirmation(row pgx.Row, deletionID *convstore.ID) (convstore.Confirmation, error) {
	var c convstore.Confirmation
	err := row.Scan(scanID(deletionID), &c.Processor, &c.DueAt, &c.ConfirmedAt, &c.Note, &c.OverdueAt, &c.WithdrawnAt)
	c.DueAt = c.DueAt.UTC()
	for _, t := range []**time.Time{&c.ConfirmedAt, &c.OverdueAt, &c.WithdrawnAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return c, err
}

func (o *ops) ProcessorList(ctx context.Context, tenantID convstore.ID) ([]*convstore.Processor, error) {
	return list(ctx, o, newQuery(`SELECT `+processorColumns+` FROM processors WHERE tenant_id = $1 ORDER BY name`, idArg(tenantID)), scanProcessor)
}

func (o *ops) ProcessorGet(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	return one(ctx, o, "processor", scanProcessor,
		`SELECT `+processorColumns+` FROM processors WHERE tenant_id = $1 AND name = $2`, idArg(tenantID), name)
}

// ProcessorInsert inserts only under an existing tenant, with ON
// CONFLICT DO NOTHING, as KeyInsert does: no violation reaches the
// server's log.
func (o *ops) ProcessorInsert(ctx context.Context, p *convstore.Processor) error {
	n, err := o.exec(ctx, `INSERT INTO processors (`+processorColumns+`)
		SELECT id, $2, $3, $4, $5 FROM tenants WHERE id = $1 ON CONFLICT DO NOTHING`,
		idArg(p.TenantID), idArg(p.ID), p.Name, int64(p.Deadline/time.Second), p.CreatedAt)
	if err != nil || n == 1 {
		return err
	}
	if err := o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1`, idArg(p.TenantID)); err != nil {
		return err
	}
	return driver.ErrProcessorTaken()
}

func (o *ops) ProcessorUpdate(ctx context.Context, tenantID convstore.ID, name string, deadline time.Duration) (*convstore.Processor, error) {
	return one(ctx, o, "processor", scanProcessor, `UPDATE processors SET deadline_seconds = $1 WHERE tenant_id = $2 AND name = $3
		RETURNING `+processorColumns, int64(deadline/time.Second), idArg(tenantID), name)
}

func (o *ops) ProcessorDelete(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	return one(ctx, o, "processor", scanProcessor, `DELETE FROM processors WHERE tenant_id = $1 AND name = $2
		RETURNING `+processorColumns, idArg(tenantID), name)
}

// ConfirmationInsertAll is one statement per delete: a probe of the
// processors' (tenant, name) index that finds nothing for a tenant
// without processors.
func (o *ops) ConfirmationInsertAll(ctx context.Context, d *convstore.Deletion) ([]convstore.Confirmation, error) {
	out, err := list(ctx, o, newQuery(`INSERT INTO confirmations (tenant_id, deletion_id, processor_id, processor, conversation_id, due_at)
		SELECT tenant_id, $2, id, name, $3, $4::timestamptz + deadline_seconds * interval '1 second' FROM processors WHERE tenant_id = $1
		RETURNING `+confirmationColumns, idArg(d.TenantID), idArg(d.ID), idArg(d.ConversationID), d.CreatedAt),
		func(row pgx.Row) (convstore.Confirmation, error) {
			var id convstore.ID
			return scanConfirmation(row, &id)
		})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	driver.SortConfirmations(out) // RETURNING has no order
	return out, nil
}

func (o *ops) ConfirmationList(ctx context.Context, tenantID convstore.ID, deletionIDs []convstore.ID) (map[convstore.ID][]convstore.Confirmation, error) {
	out := map[convstore.ID][]convstore.Confirmation{}
	if len(deletionIDs) == 0 {
		return out, nil
	}
	rows, err := o.q.Query(ctx, `SELECT `+confirmationColumns+` FROM confirmations
		WHERE tenant_id = $1 AND deletion_id = ANY($2) ORDER BY deletion_id, processor, processor_id`, idArg(tenantID), idsArg(deletionIDs))
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id convstore.ID
		c, err := scanConfirmation(rows, &id)
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		out[id] = append(out[id], c)
	}
	return out, o.fail(ctx, rows.Err())
}

func (o *ops) ConfirmationCounts(ctx context.Context, tenantID, erasureID convstore.ID, now time.Time) (convstore.ConfirmationCounts, error) {
	var c convstore.ConfirmationCounts
	err := o.q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE open = 0), count(*) FILTER (WHERE open > 0), count(*) FILTER (WHERE late > 0) FROM (
		SELECT (SELECT count(*) FROM confirmations c WHERE c.tenant_id = d.tenant_id AND c.deletion_id = d.id AND c.`+confirmationOpen+`) AS open,
			(SELECT count(*) FROM confirmations c WHERE c.tenant_id = d.tenant_id AND c.deletion_id = d.id AND c.`+confirmationOpen+` AND c.due_at <= $1) AS late
		FROM deletions d WHERE d.tenant_id = $2 AND d.erasure_id = $3) r`, now, idArg(tenantID), idArg(erasureID)).Scan(&c.Complete, &c.Pending, &c.Overdue)
	return c, o.fail(ctx, err)
}

func (o *ops) ConfirmationStats(ctx context.Context, now time.Time) ([]driver.ProcessorBacklog, error) {
	return list(ctx, o, newQuery(`SELECT processor, count(*), count(*) FILTER (WHERE due_at <= $1)
		FROM confirmations WHERE `+confirmationOpen+` GROUP BY processor ORDER BY processor`, now),
		func(row pgx.Row) (driver.ProcessorBacklog, error) {
			var b driver.ProcessorBacklog
			err := row.Scan(&b.Processor, &b.Pending, &b.Overdue)
			return b, err
		})
}

// ConfirmationLock locks the receipt's confirmation rows: confirmations of
// one receipt, on any node, take turns, so the one that records the last
// sees every other and emits the receipt's completion once.
func (o *ops) ConfirmationLock(ctx context.Context, tenantID, deletionID convstore.ID) error {
	_, err := o.exec(ctx, `SELECT 1 FROM confirmations WHERE tenant_id = $1 AND deletion_id = $2 FOR UPDATE`, idArg(tenantID), idArg(deletionID))
	return err
}

func (o *ops) ConfirmationConfirm(ctx context.Context, tenantID, deletionID convstore.ID, processor string, at time.Time, note string) (bool, error) {
	n, err := o.exec(ctx, `UPDATE confirmations SET confirmed_at = $1, note = $2
		WHERE tenant_id = $3 AND deletion_id = $4 AND processor = $5 AND `+confirmationOpen, at, note, idArg(tenantID), idArg(deletionID), processor)
	return n > 0, err
}

func (o *ops) ConfirmationWithdraw(ctx context.Context, tenantID, processorID, deletionID convstore.ID, at time.Time) ([]convstore.ID, error) {
	q := newQuery(`WITH w AS (UPDATE confirmations SET withdrawn_at = $1 WHERE tenant_id = $2`, at, idArg(tenantID))
	if !processorID.IsZero() {
		q.and("processor_id = ?", idArg(processorID))
	} else {
		q.and("deletion_id = ?", idArg(deletionID))
	}
	q.sql.WriteString(` AND ` + confirmationOpen + ` RETURNING deletion_id) SELECT DISTINCT deletion_id FROM w`)
	return list(ctx, o, q, func(row pgx.Row) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(scanID(&id))
		return id, err
	})
}

// ConfirmationMarkOverdue claims with FOR UPDATE SKIP LOCKED: two nodes'
// sweepers never mark, nor emit the event of, one confirmation twice, and
// a confirmation being recorded meanwhile is left for the next sweep.
func (o *ops) ConfirmationMarkOverdue(ctx context.Context, now time.Time, limit int) ([]driver.OverdueConfirmation, error) {
	return list(ctx, o, newQuery(`UPDATE confirmations c SET overdue_at = $1
		FROM (SELECT tenant_id, deletion_id, processor_id FROM confirmations
			WHERE `+confirmationOpen+` AND due_at <= $1 AND overdue_at IS NULL ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
		WHERE c.tenant_id = due.tenant_id AND c.deletion_id = due.deletion_id AND c.processor_id = due.processor_id
		RETURNING c.tenant_id, c.deletion_id, c.conversation_id, c.processor, c.due_at`, now, limit),
		func(row pgx.Row) (driver.OverdueConfirmation, error) {
			var c driver.OverdueConfirmation
			err := row.Scan(scanID(&c.TenantID), scanID(&c.DeletionID), scanID(&c.ConversationID), &c.Processor, &c.DueAt)
			c.DueAt = c.DueAt.UTC()
			return c, err
		})
}
