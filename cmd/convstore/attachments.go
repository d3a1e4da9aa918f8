package main

import (
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
	"github.com/convstore/convstore/client"
)

func attachmentsCommand() *command {
	return group("attachments", "Upload, download, list and delete a conversation's attachments (recordings, files).",
		&leaf{name: "put", summary: "Upload a file as an attachment, replacing one of the same name.",
			help: "Upload FILE (\"-\" for standard input) as attachment NAME. The content type defaults\nto the one of FILE's extension, else application/octet-stream.",
			args: []string{"CONVERSATION_ID", "NAME", "FILE"}, timeout: noTimeout, flags: attachmentsPut},
		&leaf{name: "get", summary: "Download an attachment's bytes.",
			help: "Download an attachment. Without --output the bytes go to standard output; with it\nthey go to the file and the record is printed. The SHA-256 is checked when the\nserver sends it.",
			args: []string{"CONVERSATION_ID", "NAME"}, timeout: noTimeout, flags: attachmentsGet},
		&leaf{name: "list", summary: "List a conversation's attachments.", help: "List a conversation's attachments, oldest first.",
			args: []string{"CONVERSATION_ID"}, flags: attachmentsList},
		&leaf{name: "delete", summary: "Delete an attachment's record and bytes for good.", args: []string{"CONVERSATION_ID", "NAME"}, run: attachmentsDelete},
	)
}

func attachmentsPut(fs *flagSet) func(x *call) (clientCall, error) {
	var contentType string
	fs.StringVar(&contentType, "content-type", "", "the attachment's media `type`, e.g. audio/wav")
	return func(x *call) (clientCall, error) {
		return func(x *call, c *client.Client) error {
			name, file := x.args[1], x.args[2]
			var body io.Reader
			if file == "-" {
				body = x.env.Stdin
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
			a, err := c.PutAttachment(x.ctx, convstore.ID{}, x.ids[0], &convstore.AttachmentPut{Name: name, ContentType: contentType, Body: body})
			if err != nil {
				return err
			}
			return printAttachment(x, a)
		}, nil
	}
}

func attachmentsGet(fs *flagSet) func(x *call) (clientCall, error) {
	var output string
	fs.StringVar(&output, "output", "", "write the bytes to `file` instead of standard output")
	fs.StringVar(&output, "o", "", "short for --output")
	return func(x *call) (clientCall, error) {
		return func(x *call, c *client.Client) error {
			a, rc, err := c.OpenAttachment(x.ctx, convstore.ID{}, x.ids[0], x.args[1])
			if err != nil {
				return err
			}
			defer rc.Close()
			if output == "" {
				return copyChecked(x.env.Stdout, rc, a)
			}
			// Write next to the target and rename, so that a failed
			// download leaves no truncated file behind.
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
			return printAttachment(x, a)
		}, nil
	}
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

func attachmentsList(fs *flagSet) func(x *call) (clientCall, error) {
	var pf pageFlags
	pf.register(fs)
	return func(x *call) (clientCall, error) {
		var f convstore.AttachmentFilter
		var err error
		if f.PageFilter, err = pf.filter(fs, convstore.PrefixAttachment); err != nil {
			return nil, err
		}
		return func(x *call, c *client.Client) error {
			atts, more, err := c.FindAttachments(x.ctx, convstore.ID{}, x.ids[0], f)
			if err != nil {
				return err
			}
			return printList(x, atts, more, api.FromAttachment, func(a api.Attachment) string { return a.ID },
				[]string{"ID", "NAME", "CONTENT TYPE", "SIZE", "SHA256", "CREATED"}, func(a *convstore.Attachment) []string {
					return []string{a.ID.Format(convstore.PrefixAttachment), a.Name, a.ContentType, strconv.FormatInt(a.Size, 10),
						truncate(a.SHA256, 17), fmtTime(a.CreatedAt)}
				})
		}, nil
	}
}

func attachmentsDelete(x *call, c *client.Client) error {
	convID, name := x.ids[0], x.args[1]
	if err := c.DeleteAttachment(x.ctx, convstore.ID{}, convID, name, convstore.DeleteParams{}); err != nil {
		return err
	}
	wire := attachmentDeletedJSON{Object: api.ObjectAttachmentDeleted, ConversationID: convID.Format(convstore.PrefixConversation),
		Name: name, Deleted: true}
	return x.print(wire, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "deleted attachment %s of %s\n", termSafe(name), convID.Format(convstore.PrefixConversation))
		return err
	})
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
func printAttachment(x *call, a *convstore.Attachment) error {
	return x.print(api.FromAttachment(a), func(w io.Writer) error {
		return fields(w,
			"id", fmtOptID(a.ID, convstore.PrefixAttachment),
			"conversation_id", a.ConversationID.Format(convstore.PrefixConversation),
			"name", a.Name,
			"content_type", a.ContentType,
			"size", strconv.FormatInt(a.Size, 10),
			"sha256", orDash(a.SHA256),
			"created_at", fmtTime(a.CreatedAt),
		)
	})
}
