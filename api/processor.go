package api

import (
	"strconv"
	"time"

	"github.com/convstore/convstore"
)

// Objects of downstream confirmations.
const (
	ObjectProcessor        = "processor"
	ObjectProcessorDeleted = "processor.deleted"
)

// Processor is the wire form of a downstream processor that must confirm
// erasures.
type Processor struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	Name            string `json:"name"`
	Deadline        string `json:"deadline"`         // as given: "72h", "90m", "30s"
	DeadlineSeconds int64  `json:"deadline_seconds"` // the same, in seconds
	CreatedAt       int64  `json:"created_at"`
}

// ProcessorCreate is the body of POST /v1/processors.
type ProcessorCreate struct {
	Name     string `json:"name"`
	Deadline string `json:"deadline,omitempty"` // a duration ("72h"); empty for 72h
}

// ProcessorUpdate is the body of PATCH /v1/processors/{name}.
type ProcessorUpdate struct {
	Deadline *string `json:"deadline,omitempty"`
}

// ProcessorDeleted is the body of DELETE /v1/processors/{name}.
type ProcessorDeleted struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	Name      string `json:"name"`
	Deleted   bool   `json:"deleted"`
	Withdrawn int    `json:"withdrawn"` // confirmations no longer required
}

// Confirmation is one processor's confirmation on a receipt.
type Confirmation struct {
	Processor   string  `json:"processor"`
	State       string  `json:"state"` // pending, confirmed, overdue or withdrawn
	DueAt       int64   `json:"due_at"`
	ConfirmedAt *int64  `json:"confirmed_at"`
	Note        *string `json:"note"`
}

// ConfirmationCreate is the body of POST /v1/deletions/{id}/confirmations.
type ConfirmationCreate struct {
	Processor string `json:"processor,omitempty"` // required with an admin key; a processor's key confirms for its own
	Note      string `json:"note,omitempty"`
}

// ConfirmationCounts is an erasure job's aggregate of its receipts'
// confirmations.
type ConfirmationCounts struct {
	Complete int `json:"complete"`
	Pending  int `json:"pending"`
	Overdue  int `json:"overdue"`
}

// FromProcessor converts a processor to its wire form.
func FromProcessor(p *convstore.Processor) Processor {
	return Processor{ID: p.ID.Format(convstore.PrefixProcessor), Object: ObjectProcessor, Name: p.Name,
		Deadline: FormatDeadline(p.Deadline), DeadlineSeconds: int64(p.Deadline / time.Second), CreatedAt: Unix(p.CreatedAt)}
}

// ToProcessor converts a wire processor to the domain type.
func ToProcessor(w *Processor) *convstore.Processor {
	id, _ := convstore.ParseID(convstore.PrefixProcessor, "id", w.ID)
	return &convstore.Processor{ID: id, Name: w.Name, Deadline: time.Duration(w.DeadlineSeconds) * time.Second,
		CreatedAt: time.Unix(w.CreatedAt, 0).UTC()}
}

// FormatDeadline writes a deadline in its largest whole unit: "72h",
// "90m", "45s".
func FormatDeadline(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s%60 == 0:
		return strconv.FormatInt(s/60, 10) + "m"
	}
	return strconv.FormatInt(s, 10) + "s"
}

// ParseDeadline reads a deadline: a Go duration ("72h", "1h30m") or a
// number of days ("3d"), in whole seconds.
func ParseDeadline(field, s string) (time.Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		if days, err := strconv.Atoi(s[:n-1]); err == nil && days > 0 && days <= 3650 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d%time.Second != 0 {
		return 0, convstore.Invalidf(field, "%s must be a duration in whole seconds, such as 72h, 90m or 3d", field)
	}
	return d, nil
}

func fromConfirmations(cs []convstore.Confirmation) []Confirmation {
	out := make([]Confirmation, len(cs))
	for i, c := range cs {
		out[i] = Confirmation{Processor: c.Processor, State: c.State, DueAt: Unix(c.DueAt), ConfirmedAt: optUnix(c.ConfirmedAt),
			Note: optString(c.Note)}
	}
	return out
}

// toConfirmations converts wire confirmations; a withdrawn one gets a
// WithdrawnAt (its time is not on the wire) so that Complete reads it.
func toConfirmations(ws []Confirmation) []convstore.Confirmation {
	if len(ws) == 0 {
		return nil
	}
	out := make([]convstore.Confirmation, len(ws))
	for i, w := range ws {
		out[i] = convstore.Confirmation{Processor: w.Processor, State: w.State, DueAt: time.Unix(w.DueAt, 0).UTC(),
			ConfirmedAt: fromUnix(w.ConfirmedAt)}
		if w.Note != nil {
			out[i].Note = *w.Note
		}
		if w.State == convstore.ConfirmationWithdrawn {
			at := out[i].DueAt
			out[i].WithdrawnAt = &at
		}
	}
	return out
}

func fromCounts(c *convstore.ConfirmationCounts) *ConfirmationCounts {
	if c == nil {
		return nil
	}
	return &ConfirmationCounts{Complete: c.Complete, Pending: c.Pending, Overdue: c.Overdue}
}

func toCounts(w *ConfirmationCounts) *convstore.ConfirmationCounts {
	if w == nil {
		return nil
	}
	return &convstore.ConfirmationCounts{Complete: w.Complete, Pending: w.Pending, Overdue: w.Overdue}
}
