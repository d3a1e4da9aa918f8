package main

import (
	"context"
	"io"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func deletionsCommand() *command {
	return &command{
		name:    "deletions",
		summary: "List and show deletion receipts: proof of what was deleted, without content.",
		subs: []*command{
			{name: "list", summary: "List deletion receipts, newest first.", run: deletionsList},
			{name: "get", summary: "Show one deletion receipt.", run: deletionsGet},
		},
	}
}

func auditCommand() *command {
	return &command{
		name:    "audit",
		summary: "Read the audit log of destructive and administrative actions.",
		subs: []*command{
			{name: "list", summary: "List audit entries, newest first.", run: auditList},
		},
	}
}

func deletionsList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "deletions list [flags]", "List deletion receipts, newest first.")
	var pf pageFlags
	pf.register(fs)
	var convID string
	fs.StringVar(&convID, "conversation-id", "", "only the receipt of this conversation `id`")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	var f convstore.DeletionFilter
	if convID != "" {
		if f.ConversationID, err = parseArgID(fs, convstore.PrefixConversation, "--conversation-id", convID); err != nil {
			return err
		}
	}
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixDeletion); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	dels, more, err := c.FindDeletions(ctx, convstore.ID{}, f)
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.Deletion, len(dels))
		for i, d := range dels {
			ws[i] = api.FromDeletion(d)
		}
		return writeJSON(env.Stdout, wireList(ws, func(d api.Deletion) string { return d.ID }, more))
	}
	t := newTable(env.Stdout, "ID", "CONVERSATION", "MESSAGES", "ARTIFACTS", "ATTACHMENTS", "BYTES", "BY", "DOOR", "DELETED")
	last := ""
	for _, d := range dels {
		last = d.ID.Format(convstore.PrefixDeletion)
		t.row(last, d.ConversationID.Format(convstore.PrefixConversation), itoa(d.Messages), itoa(d.Artifacts),
			itoa(d.Attachments), strconv.FormatInt(d.AttachmentBytes, 10), fmtOptID(d.ActorKeyID, convstore.PrefixKey),
			orDash(d.Door), fmtTime(d.CreatedAt))
	}
	return t.flush(env.Stdout, more, last)
}

func deletionsGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "deletions get DELETION_ID [flags]", "Show one deletion receipt.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "DELETION_ID"); err != nil {
		return err
	}
	id, err := parseArgID(fs, convstore.PrefixDeletion, "deletion id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	d, err := c.FindDeletionByID(ctx, convstore.ID{}, id)
	if err != nil {
		return err
	}
	if cf.json {
		return writeJSON(env.Stdout, api.FromDeletion(d))
	}
	return printDeletionFields(env.Stdout, d)
}

// printDeletionFields writes a receipt as fields.
func printDeletionFields(w io.Writer, d *convstore.Deletion) error {
	return fields(w,
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
	)
}

func auditList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "audit list [flags]", "List audit entries of destructive and administrative actions, newest first.")
	var pf pageFlags
	pf.register(fs)
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	var f convstore.AuditFilter
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixAudit); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	entries, more, err := c.FindAuditEntries(ctx, convstore.ID{}, f)
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.AuditEntry, len(entries))
		for i, e := range entries {
			ws[i] = api.FromAuditEntry(e)
		}
		return writeJSON(env.Stdout, wireList(ws, func(e api.AuditEntry) string { return e.ID }, more))
	}
	t := newTable(env.Stdout, "ID", "ACTION", "CONVERSATION", "TARGET", "BY", "DOOR", "AT")
	last := ""
	for _, e := range entries {
		w := api.FromAuditEntry(e) // renders the target with its action's prefix
		last = w.ID
		t.row(w.ID, e.Action, fmtOptID(e.ConversationID, convstore.PrefixConversation), w.TargetID, fmtOptID(e.ActorKeyID, convstore.PrefixKey), orDash(e.Door), fmtTime(e.CreatedAt))
	}
	return t.flush(env.Stdout, more, last)
}
