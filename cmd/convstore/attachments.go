package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func attachmentsCommand() *command {
	return &command{
		name:    "attachments",
		summary: "Upload, download, list and delete a conversation's attachments (recordings, files).",
		subs: []*command{
			{name: "put", summary: "Upload a file as an attachment, replacing one of the same name.", run: attachmentsPut},
			{name: "get", summary: "Download an attachment's bytes.", run: attachmentsGet},
			{name: "list", summary: "List a conversation's attachments.", run: attachmentsList},
			{name: "delete", summary: "Delete an attachment's record and bytes for good.", run: attachmentsDelete},
		},
	}
}

func attachmentsPut(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSetTimeout(env, "attachments put CONVERSATION_ID NAME FILE [flags]",
		"Upload FILE (\"-\" for standard input) as attachment NAME. The content type defaults\nto the one of FILE's extension, else application/octet-stream.", 0)
	var contentType string
	fs.StringVar(&contentType, "content-type", "", "the attachment's media `type`, e.g. audio/wav")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID", "NAME", "FILE"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	name, file := pos[1], pos[2]
	var body io.Reader
	if file == "-" {
		body = env.Stdin
	} else {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
		if contentType == "" {
			contentType = mime.TypeByExtension(filepath.Ext(file))
		}
	}
	if contentType == "" {
		contentType = mime.TypeByExtension(filepath.Ext(name))
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	a, err := c.PutAttachment(ctx, convstore.ID{}, convID, &convstore.AttachmentPut{Name: name, ContentType: contentType, Body: body})
	if err != nil {
		return err
	}
	return printAttachment(env.Stdout, a, cf.json)
}

func attachmentsGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSetTimeout(env, "attachments get CONVERSATION_ID NAME [flags]",
		"Download an attachment. Without --output the bytes go to standard output; with it\nthey go to the file and the record is printed. The SHA-256 is checked when the\nserver sends it.", 0)
	var output string
	fs.StringVar(&output, "output", "", "write the bytes to `file` instead of standard output")
	fs.StringVar(&output, "o", "", "short for --output")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID", "NAME"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	a, rc, err := c.OpenAttachment(ctx, convstore.ID{}, convID, pos[1])
	if err != nil {
		return err
	}
	defer rc.Close()
	if output == "" {
		return copyChecked(env.Stdout, rc, a)
	}
	// Write next to the target and rename, so that a failed download
	// leaves no truncated file behind.
	tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := copyChecked(tmp, rc, a); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return err
	}
	return printAttachment(env.Stdout, a, cf.json)
}

// copyChecked copies the body and checks its size and SHA-256 against the
// record when known.
func copyChecked(w io.Writer, r io.Reader, a *convstore.Attachment) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", a.Name, err)
	}
	if a.Size >= 0 && n != a.Size {
		return fmt.Errorf("downloading %s: got %d bytes, want %d", a.Name, n, a.Size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if a.SHA256 != "" && sum != a.SHA256 {
		return fmt.Errorf("downloading %s: SHA-256 %s does not match the record's %s", a.Name, sum, a.SHA256)
	}
	a.SHA256, a.Size = sum, n
	return nil
}

func attachmentsList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "attachments list CONVERSATION_ID [flags]", "List a conversation's attachments, oldest first.")
	var pf pageFlags
	pf.register(fs)
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	var f convstore.AttachmentFilter
	if f.PageFilter, err = pf.filter(fs, convstore.PrefixAttachment); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	atts, more, err := c.FindAttachments(ctx, convstore.ID{}, convID, f)
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.Attachment, len(atts))
		for i, a := range atts {
			ws[i] = api.FromAttachment(a)
		}
		return writeJSON(env.Stdout, wireList(ws, func(a api.Attachment) string { return a.ID }, more))
	}
	t := newTable(env.Stdout, "ID", "NAME", "CONTENT TYPE", "SIZE", "SHA256", "CREATED")
	last := ""
	for _, a := range atts {
		last = a.ID.Format(convstore.PrefixAttachment)
		t.row(last, a.Name, a.ContentType, strconv.FormatInt(a.Size, 10), truncate(a.SHA256, 17), fmtTime(a.CreatedAt))
	}
	return t.flush(env.Stdout, more, last)
}

func attachmentsDelete(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "attachments delete CONVERSATION_ID NAME [flags]", "Delete an attachment's record and bytes for good.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "CONVERSATION_ID", "NAME"); err != nil {
		return err
	}
	convID, err := parseArgID(fs, convstore.PrefixConversation, "conversation id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	if err := c.DeleteAttachment(ctx, convstore.ID{}, convID, pos[1], convstore.DeleteParams{}); err != nil {
		return err
	}
	if cf.json {
		return writeJSON(env.Stdout, attachmentDeletedJSON{
			Object: api.ObjectAttachmentDeleted, ConversationID: convID.Format(convstore.PrefixConversation),
			Name: pos[1], Deleted: true,
		})
	}
	_, err = fmt.Fprintf(env.Stdout, "deleted attachment %s of %s\n", termSafe(pos[1]), convID.Format(convstore.PrefixConversation))
	return err
}

// attachmentDeletedJSON is the --json output of attachments delete. The
// client's DeleteAttachment does not return the record's id, so the
// attachment is named by conversation and name.
type attachmentDeletedJSON struct {
	Object         string `json:"object"`
	ConversationID string `json:"conversation_id"`
	Name           string `json:"name"`
	Deleted        bool   `json:"deleted"`
}

// printAttachment writes one attachment record as fields or wire JSON.
func printAttachment(w io.Writer, a *convstore.Attachment, asJSON bool) error {
	if asJSON {
		return writeJSON(w, api.FromAttachment(a))
	}
	return fields(w,
		"id", fmtOptID(a.ID, convstore.PrefixAttachment),
		"conversation_id", a.ConversationID.Format(convstore.PrefixConversation),
		"name", a.Name,
		"content_type", a.ContentType,
		"size", strconv.FormatInt(a.Size, 10),
		"sha256", orDash(a.SHA256),
		"created_at", fmtTime(a.CreatedAt),
	)
}
