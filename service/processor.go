package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// CreateProcessor registers a processor and audits it in the same
// transaction. It applies to the deletions made after it commits.
func (s *Service) CreateProcessor(ctx context.Context, tenantID convstore.ID, c *convstore.ProcessorCreate, p convstore.DeleteParams) (*convstore.Processor, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "processor is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var out *convstore.Processor
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		out = &convstore.Processor{ID: s.newID(), TenantID: tenantID, Name: c.Name, Deadline: c.Deadline, CreatedAt: now}
		if err := tx.ProcessorInsert(ctx, out); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditProcessorCreate, convstore.ID{}, out.ID, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FindProcessors returns the tenant's processors, by name.
func (s *Service) FindProcessors(ctx context.Context, tenantID convstore.ID) ([]*convstore.Processor, error) {
	return s.drv.Reads().ProcessorList(ctx, tenantID)
}

// FindProcessor returns the tenant's processor of that name.
func (s *Service) FindProcessor(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	if convstore.ValidateProcessorName("name", name) != nil {
		return nil, convstore.NotFound("processor")
	}
	return s.drv.Reads().ProcessorGet(ctx, tenantID, name)
}

// UpdateProcessor changes a processor's deadline, for the deletions made
// from then on, and audits it.
func (s *Service) UpdateProcessor(ctx context.Context, tenantID convstore.ID, name string, u *convstore.ProcessorUpdate, p convstore.DeleteParams) (*convstore.Processor, error) {
	if u == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if convstore.ValidateProcessorName("name", name) != nil {
		return nil, convstore.NotFound("processor")
	}
	var out *convstore.Processor
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		var err error
		if u.Deadline == nil {
			out, err = tx.ProcessorGet(ctx, tenantID, name)
			return err
		}
		if out, err = tx.ProcessorUpdate(ctx, tenantID, name, *u.Deadline); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditProcessorUpdate, convstore.ID{}, out.ID, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteProcessor removes a processor and withdraws its open
// confirmations in the same transaction; each receipt that waited on it
// alone becomes complete and emits deletion.completed.
func (s *Service) DeleteProcessor(ctx context.Context, tenantID convstore.ID, name string, p convstore.DeleteParams) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	if convstore.ValidateProcessorName("name", name) != nil {
		return 0, convstore.NotFound("processor")
	}
	var withdrawn int
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		proc, err := tx.ProcessorDelete(ctx, tenantID, name)
		if err != nil {
			return err
		}
		ids, err := tx.ConfirmationWithdraw(ctx, tenantID, proc.ID, convstore.ID{}, now)
		if err != nil {
			return err
		}
		withdrawn = len(ids)
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditProcessorDelete, convstore.ID{}, proc.ID, p); err != nil {
			return err
		}
		return s.emitCompleted(ctx, tx, now, tenantID, ids)
	})
	return withdrawn, err
}

// emitCompleted emits deletion.completed for those of the receipts ids
// (whose confirmations just changed) that have no open confirmation left.
func (s *Service) emitCompleted(ctx context.Context, tx driver.Tx, now time.Time, tenantID convstore.ID, ids []convstore.ID) error {
	for start := 0; start < len(ids); start += convstore.MaxPageLimit {
		batch := ids[start:min(start+convstore.MaxPageLimit, len(ids))]
		confs, err := tx.ConfirmationList(ctx, tenantID, batch)
		if err != nil {
			return err
		}
		var evs []event
		for _, id := range batch {
			d := &convstore.Deletion{ID: id, TenantID: tenantID, Confirmations: confs[id]}
			if !d.Complete() {
				continue
			}
			got, err := tx.DeletionGet(ctx, tenantID, id)
			if err != nil {
				return err
			}
			got.Confirmations = confs[id]
			evs = append(evs, deletionCompleted(got, now))
		}
		if err := s.emit(ctx, tx, now, evs...); err != nil {
			return err
		}
	}
	return nil
}

// ConfirmDeletion records a processor's confirmation of a receipt, with
// its audit entry and, when it was the last one required, the receipt's
// deletion.completed event, in one transaction. A confirmation recorded
// before is answered as it was (recorded false).
func (s *Service) ConfirmDeletion(ctx context.Context, tenantID, deletionID convstore.ID, c *convstore.ConfirmationCreate, p convstore.DeleteParams) (*convstore.Deletion, bool, error) {
	if c == nil {
		return nil, false, convstore.Invalidf("body", "confirmation is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	if err := p.Validate(); err != nil {
		return nil, false, err
	}
	var d *convstore.Deletion
	var recorded bool
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		recorded = false
		now := s.now()
		var err error
		if d, err = tx.DeletionGet(ctx, tenantID, deletionID); err != nil {
			return err
		}
		if err := tx.ConfirmationLock(ctx, tenantID, deletionID); err != nil {
			return err
		}
		confs, err := tx.ConfirmationList(ctx, tenantID, []convstore.ID{deletionID})
		if err != nil {
			return err
		}
		d.Confirmations = confs[deletionID]
		var mine *convstore.Confirmation
		for i := range d.Confirmations {
			if cf := &d.Confirmations[i]; cf.Processor == c.Processor && cf.WithdrawnAt == nil {
				mine = cf
			}
		}
		if mine == nil {
			return convstore.Invalidf("processor", "this deletion does not require a confirmation from processor %q "+
				"(it was not registered when the conversation was deleted, or it was removed since)", c.Processor)
		}
		if mine.ConfirmedAt != nil {
			return nil
		}
		ok, err := tx.ConfirmationConfirm(ctx, tenantID, deletionID, c.Processor, now, c.Note)
		if err != nil || !ok {
			return err
		}
		recorded = true
		mine.ConfirmedAt, mine.Note = &now, c.Note
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditDeletionConfirm, d.ConversationID, deletionID, p); err != nil {
			return err
		}
		if d.Complete() {
			return s.emit(ctx, tx, now, deletionCompleted(d, now))
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	s.stateConfirmations(d, s.now())
	return d, recorded, nil
}

// stateConfirmations sets the State of each of the receipt's
// confirmations as of now.
func (s *Service) stateConfirmations(d *convstore.Deletion, now time.Time) {
	for i := range d.Confirmations {
		d.Confirmations[i].State = d.Confirmations[i].StateAt(now)
	}
}

// withConfirmations reads the confirmations of the receipts and sets
// their states as of now.
func (s *Service) withConfirmations(ctx context.Context, r driver.Reader, tenantID convstore.ID, ds []*convstore.Deletion) error {
	if len(ds) == 0 {
		return nil
	}
	ids := make([]convstore.ID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	confs, err := r.ConfirmationList(ctx, tenantID, ids)
	if err != nil {
		return err
	}
	now := s.now()
	for _, d := range ds {
		d.Confirmations = confs[d.ID]
		s.stateConfirmations(d, now)
	}
	return nil
}

// confirmationSweepBatch is how many overdue confirmations one sweep
// transaction marks.
const confirmationSweepBatch = 500

// SweepConfirmations marks every open confirmation past its due time as
// overdue, emitting its confirmation.overdue event in the same
// transaction (so once: a marked one is never marked again), and then
// counts the open confirmations by processor for the metric
// (ConfirmationBacklog). It returns how many it marked. RunSweeper calls
// it every interval.
func (s *Service) SweepConfirmations(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			due, err := tx.ConfirmationMarkOverdue(ctx, now, confirmationSweepBatch)
			if err != nil {
				return err
			}
			n = len(due)
			evs := make([]event, len(due))
			for i, c := range due {
				evs[i] = confirmationOverdue(c, now)
			}
			return s.emit(ctx, tx, now, evs...)
		})
		total += n
		if err != nil {
			return total, err
		}
		if n < confirmationSweepBatch {
			break
		}
	}
	stats, err := s.drv.Reads().ConfirmationStats(ctx, s.now())
	if err != nil {
		return total, err
	}
	s.confirmBacklog.Store(&stats)
	return total, nil
}

// ConfirmationBacklog returns the open confirmations of every tenant by
// processor name as the last SweepConfirmations counted them (nil before
// it ran), for the metric: counted by the sweeper, never at scrape time.
func (s *Service) ConfirmationBacklog() []driver.ProcessorBacklog {
	if p := s.confirmBacklog.Load(); p != nil {
		return *p
	}
	return nil
}

// DeletionCompletedEvent is the payload of deletion.completed: every
// processor the receipt required has confirmed (or was removed since).
type DeletionCompletedEvent struct {
	DeletionID     string   `json:"deletion_id"`
	ConversationID string   `json:"conversation_id"`
	Processors     []string `json:"processors"` // those that confirmed, by name
	CompletedAt    int64    `json:"completed_at"`
}

func deletionCompleted(d *convstore.Deletion, at time.Time) event {
	procs := []string{}
	for _, c := range d.Confirmations {
		if c.ConfirmedAt != nil {
			procs = append(procs, c.Processor)
		}
	}
	return event{typ: convstore.EventDeletionCompleted, tenantID: d.TenantID, conversationID: d.ConversationID,
		data: &DeletionCompletedEvent{DeletionID: d.ID.Format(convstore.PrefixDeletion),
			ConversationID: d.ConversationID.Format(convstore.PrefixConversation), Processors: procs, CompletedAt: unix(at)}}
}

// ConfirmationOverdueEvent is the payload of confirmation.overdue: a
// processor has not confirmed a deletion by its due time.
type ConfirmationOverdueEvent struct {
	DeletionID     string `json:"deletion_id"`
	ConversationID string `json:"conversation_id"`
	Processor      string `json:"processor"`
	DueAt          int64  `json:"due_at"`
	At             int64  `json:"at"`
}

func confirmationOverdue(c driver.OverdueConfirmation, at time.Time) event {
	return event{typ: convstore.EventConfirmationOverdue, tenantID: c.TenantID, conversationID: c.ConversationID,
		data: &ConfirmationOverdueEvent{DeletionID: c.DeletionID.Format(convstore.PrefixDeletion),
			ConversationID: c.ConversationID.Format(convstore.PrefixConversation), Processor: c.Processor,
			DueAt: unix(c.DueAt), At: unix(at)}}
}
