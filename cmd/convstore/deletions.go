package main

import (
	"io"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func deletionsCommand() *command {
	return group("deletions", "List and show deletion receipts: proof of what was deleted, without content.",
		&leaf{name: "list", summary: "List deletion receipts, newest first.", flags: deletionsList},
		&leaf{name: "get", summary: "Show one deletion receipt.", args: []string{"DELETION_ID"}, run: deletionsGet},
		&leaf{name: "pending", summary: "List receipts still waiting on downstream processors' confirmations.",
			help:  "List receipts still waiting on downstream processors' confirmations (overdue ones included), newest first: which processors, and when the first is due.",
			flags: deletionsPending},
		&leaf{name: "confirm", summary: "Record a processor's confirmation that it purged a deleted conversation.",
			help: "Record a processor's confirmation that it purged a deleted conversation. Confirming again changes nothing.",
			args: []string{"DELETION_ID"}, synopsis: "DELETION_ID [--processor NAME]", flags: deletionsConfirm},
	)
}

func auditCommand() *command {
	return group("audit", "Read the audit log of destructive and administrative actions.",
		&leaf{name: "list", summary: "List audit entries, newest first.",
			help: "List audit entries of destructive and administrative actions, newest first.", flags: auditList},
	)
}

func deletionsList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	var convID, erasureID string
	fs.StringVar(&convID, "conversation-id", "", "only the receipt of this conversation `id`")
	fs.StringVar(&erasureID, "erasure-id", "", "only the receipts of this erasure job `id`")
	return func(x *call) (clientCall, error) {
		var f convstore.DeletionFilter
		var err error
		if convID != "" {
			if f.ConversationID, err = parseArgID(fs, convstore.PrefixConversation, "--conversation-id", convID); err != nil {
				return nil, err
			}
		}
		if erasureID != "" {
			if f.ErasureID, err = parseArgID(fs, convstore.PrefixErasure, "--erasure-id", erasureID); err != nil {
				return nil, err
			}
		}
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixDeletion); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			dels, more, err := c.FindDeletions(x.ctx, convstore.ID{}, f)
			if err != nil {
				return err
			}
			return printList(x, dels, more, api.FromDeletion, func(d api.Deletion) string { return d.ID },
				[]string{"ID", "CONVERSATION", "MESSAGES", "ARTIFACTS", "ATTACHMENTS", "BYTES", "BY", "DOOR", "DELETED"},
				func(d *convstore.Deletion) []string {
					return []string{d.ID.Format(convstore.PrefixDeletion), d.ConversationID.Format(convstore.PrefixConversation),
						itoa(d.Messages), itoa(d.Artifacts), itoa(d.Attachments), strconv.FormatInt(d.AttachmentBytes, 10),
						fmtOptID(d.ActorKeyID, convstore.PrefixKey), orDash(d.Door), fmtTime(d.CreatedAt)}
				})
		}, nil
	}
}

func deletionsGet(x *call, c *client.Client) error {
	d, err := c.FindDeletionByID(x.ctx, convstore.ID{}, x.ids[0])
	if err != nil {
		return err
	}
	return x.print(api.FromDeletion(d), func(w io.Writer) error { return printDeletionFields(w, d) })
}

// printDeletionFields writes a receipt as fields.
func printDeletionFields(w io.Writer, d *convstore.Deletion) error {
	kv := []string{
		"receipt", d.ID.Format(convstore.PrefixDeletion),
		"conversation_id", d.ConversationID.Format(convstore.PrefixConversation),
		"conversation_seq", strconv.FormatInt(d.ConversationSeq, 10),
		"messages", itoa(d.Messages),
		"artifacts", itoa(d.Artifacts),
		"attachments", itoa(d.Attachments),
		"attachment_bytes", strconv.FormatInt(d.AttachmentBytes, 10),
		"deleted_by", fmtOptID(d.ActorKeyID, convstore.PrefixKey),
		"door", orDash(d.Door),
		"request_id", orDash(d.RequestID),
		"client_request_id", orDash(d.ClientRequestID),
		"deleted_at", fmtTime(d.CreatedAt),
		"key_epoch", fmtEpoch(d.KeyEpoch),
		"shredded_at", fmtOptTime(d.ShreddedAt),
		"purged_at", fmtOptTime(d.PurgedAt),
	}
	if d.Policy != "" { // shown only for retention's receipts
		kv = append(kv, "policy", d.Policy)
	}
	if !d.ErasureID.IsZero() { // shown only for a job's receipts
		kv = append(kv, "erasure_id", d.ErasureID.Format(convstore.PrefixErasure))
	}
	if len(d.Confirmations) > 0 { // shown only where processors were registered
		kv = append(kv, confirmationFields(d)...)
	}
	return fields(w, kv...)
}

// fmtEpoch formats a receipt's key epoch, "-" for none.
func fmtEpoch(e uint32) string {
	if e == 0 {
		return "-"
	}
	return strconv.FormatUint(uint64(e), 10)
}

// fmtOptTime formats an optional time, "-" for none.
func fmtOptTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtTime(*t)
}

func auditList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	return func(x *call) (clientCall, error) {
		var f convstore.AuditFilter
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixAudit); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			entries, more, err := c.FindAuditEntries(x.ctx, convstore.ID{}, f)
			if err != nil {
				return err
			}
			return printList(x, entries, more, api.FromAuditEntry, func(e api.AuditEntry) string { return e.ID },
				[]string{"ID", "ACTION", "CONVERSATION", "TARGET", "BY", "DOOR", "AT"}, func(e *convstore.AuditEntry) []string {
					w := api.FromAuditEntry(e) // renders the target with its action's prefix
					return []string{w.ID, e.Action, fmtOptID(e.ConversationID, convstore.PrefixConversation), w.TargetID,
						fmtOptID(e.ActorKeyID, convstore.PrefixKey), orDash(e.Door), fmtTime(e.CreatedAt)}
				})
		}, nil
	}
}
