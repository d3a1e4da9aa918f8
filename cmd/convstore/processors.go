package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func processorsCommand() *command {
	return group("processors", "Register the downstream processors that must confirm each erasure (needs an admin key).",
		&leaf{name: "add", summary: "Register a processor; it applies to deletions made from then on.",
			help: "Register a processor (a vector index, an analytics copy, …) that must confirm each erasure within --deadline. " +
				"It applies to the deletions made after it is registered.", args: []string{"NAME"}, flags: processorsAdd},
		&leaf{name: "list", summary: "List processors, by name.", run: processorsList},
		&leaf{name: "remove", summary: "Remove a processor; its unconfirmed confirmations are withdrawn.",
			help: "Remove a processor. Its unconfirmed confirmations become withdrawn (no longer required); those it recorded stay.",
			args: []string{"NAME"}, run: processorsRemove},
	)
}

func processorsAdd(fs *flagSet) func(x *call) (clientCall, error) {
	var deadline string
	fs.StringVar(&deadline, "deadline", "72h", "how long the processor has to confirm each erasure: a `duration` such as 72h, 90m or 3d (at most 90 days)")
	return func(x *call) (clientCall, error) {
		in := convstore.ProcessorCreate{Name: x.args[0]}
		d, err := api.ParseDeadline("--deadline", deadline)
		if err != nil {
			return nil, usageErrorf(fs, "%s", convstore.ErrorMessage(err))
		}
		in.Deadline = d
		if err := in.Validate(); err != nil {
			return nil, usageErrorf(fs, "%s", convstore.ErrorMessage(err))
		}
		return func(x *call, c *client.Client) error {
			p, err := c.CreateProcessor(x.ctx, convstore.ID{}, &in, convstore.DeleteParams{})
			if err != nil {
				return err
			}
			return x.print(api.FromProcessor(p), func(w io.Writer) error { return printProcessorFields(w, p) })
		}, nil
	}
}

func printProcessorFields(w io.Writer, p *convstore.Processor) error {
	return fields(w, "id", p.ID.Format(convstore.PrefixProcessor), "name", p.Name, "deadline", api.FormatDeadline(p.Deadline),
		"created_at", fmtTime(p.CreatedAt))
}

func processorsList(x *call, c *client.Client) error {
	list, err := c.FindProcessors(x.ctx, convstore.ID{})
	if err != nil {
		return err
	}
	return printList(x, list, false, api.FromProcessor, func(p api.Processor) string { return p.ID },
		[]string{"NAME", "DEADLINE", "ID", "CREATED"}, func(p *convstore.Processor) []string {
			return []string{p.Name, api.FormatDeadline(p.Deadline), p.ID.Format(convstore.PrefixProcessor), fmtTime(p.CreatedAt)}
		})
}

func processorsRemove(x *call, c *client.Client) error {
	name := x.args[0]
	p, err := c.FindProcessor(x.ctx, convstore.ID{}, name)
	if err != nil {
		return err
	}
	n, err := c.DeleteProcessor(x.ctx, convstore.ID{}, name, convstore.DeleteParams{})
	if err != nil {
		return err
	}
	wire := api.ProcessorDeleted{ID: p.ID.Format(convstore.PrefixProcessor), Object: api.ObjectProcessorDeleted, Name: name, Deleted: true, Withdrawn: n}
	return x.print(wire, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "removed %s (%d confirmations withdrawn)\n", name, n)
		return err
	})
}

// deletionsPending lists the receipts still waiting on processors.
func deletionsPending(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	var overdue bool
	fs.BoolVar(&overdue, "overdue", false, "only receipts with a confirmation past its due time")
	return func(x *call) (clientCall, error) {
		f := convstore.DeletionFilter{State: convstore.DeletionPending}
		if overdue {
			f.State = convstore.DeletionOverdue
		}
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixDeletion); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			dels, more, err := c.FindDeletions(x.ctx, convstore.ID{}, f)
			if err != nil {
				return err
			}
			return printList(x, dels, more, api.FromDeletion, func(d api.Deletion) string { return d.ID },
				[]string{"ID", "CONVERSATION", "DELETED", "WAITING ON", "DUE"},
				func(d *convstore.Deletion) []string {
					var waiting []string
					var due *time.Time
					for _, cf := range d.Confirmations {
						if cf.State != convstore.ConfirmationPending && cf.State != convstore.ConfirmationOverdue {
							continue
						}
						name := cf.Processor
						if cf.State == convstore.ConfirmationOverdue {
							name += " (overdue)"
						}
						waiting = append(waiting, name)
						if due == nil || cf.DueAt.Before(*due) {
							at := cf.DueAt
							due = &at
						}
					}
					return []string{d.ID.Format(convstore.PrefixDeletion), d.ConversationID.Format(convstore.PrefixConversation),
						fmtTime(d.CreatedAt), orDash(strings.Join(waiting, ", ")), fmtOptTime(due)}
				})
		}, nil
	}
}

// deletionsConfirm records a processor's confirmation.
func deletionsConfirm(fs *flagSet) func(x *call) (clientCall, error) {
	var processor, note string
	fs.StringVar(&processor, "processor", "", "the processor `name` confirming (required with an admin key; a processor's own key confirms for it)")
	fs.StringVar(&note, "note", "", "a short `note` (what was purged, a ticket id), at most 256 bytes")
	return func(x *call) (clientCall, error) {
		in := convstore.ConfirmationCreate{Processor: processor, Note: note}
		return func(x *call, c *client.Client) error {
			d, recorded, err := c.ConfirmDeletion(x.ctx, convstore.ID{}, x.ids[0], &in, convstore.DeleteParams{})
			if err != nil {
				return err
			}
			return x.print(api.FromDeletion(d), func(w io.Writer) error {
				if !recorded {
					if _, err := fmt.Fprintln(w, "already confirmed: the receipt shows the first confirmation"); err != nil {
						return err
					}
				}
				return printDeletionFields(w, d)
			})
		}, nil
	}
}

// confirmationFields are a receipt's confirmation lines, one per
// processor: "vector-index confirmed 2026-…" or "analytics pending, due …".
func confirmationFields(d *convstore.Deletion) []string {
	var kv []string
	for _, c := range d.Confirmations {
		v := c.State
		switch {
		case c.ConfirmedAt != nil:
			v += " " + fmtTime(*c.ConfirmedAt)
		case c.WithdrawnAt == nil && c.State != convstore.ConfirmationWithdrawn:
			v += ", due " + fmtTime(c.DueAt)
		}
		kv = append(kv, "confirmation."+c.Processor, v)
	}
	complete := "yes"
	if !d.Complete() {
		complete = "no"
	}
	return append(kv, "complete", complete)
}
