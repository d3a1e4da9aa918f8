package v1

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// attachmentPath parses {conversation_id} and {name} and rejects any query
// parameter.
func attachmentPath(r *http.Request) (cid convstore.ID, name string, err error) {
	if cid, err = conversationID(r); err != nil {
		return
	}
	if name, err = attachmentName(r); err != nil {
		return
	}
	_, err = parseQuery(r)
	return
}

// attachmentTooLarge is the 413 of an upload over the limit.
func attachmentTooLarge(max int64) error {
	return &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
		Message: fmt.Sprintf("The attachment is larger than the limit of %d bytes.", max)}
}

// capReader passes at most max+1 bytes through and then fails with
// ETOOLARGE, so a store that reads past its own limit cannot be flooded.
type capReader struct {
	r   io.Reader
	n   int64 // bytes passed so far
	max int64
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, attachmentTooLarge(c.max)
	}
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// putAttachment serves PUT …/attachments/{name}: the raw body is stored
// under name with the request's Content-Type, 201 when new and 200 when it
// replaces an attachment of the same name.
func (d *Door) putAttachment(w http.ResponseWriter, r *http.Request) error {
	cid, name, err := attachmentPath(r)
	if err != nil {
		return err
	}
	ctx, tid, max := r.Context(), convhttp.Tenant(r), d.cfg.MaxAttachmentBytes
	// Answer 404 before reading a possibly large body.
	if _, err := d.store.FindConversationByID(ctx, tid, cid); err != nil {
		return err
	}
	if r.ContentLength > max {
		return attachmentTooLarge(max)
	}
	_, err = d.store.FindAttachmentByName(ctx, tid, cid, name)
	existed := err == nil
	if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
		return err
	}
	p := &convstore.AttachmentPut{
		Name:        name,
		ContentType: strings.TrimSpace(r.Header.Get("Content-Type")),
		Body:        &capReader{r: r.Body, max: max},
		MaxBytes:    max,
		Actor:       convhttp.DeleteParams(r, DoorName),
	}
	if err := p.Validate(); err != nil {
		return err
	}
	a, err := d.store.PutAttachment(ctx, tid, cid, p)
	if err != nil {
		if convstore.ErrorCode(err) == convstore.ETOOLARGE {
			return attachmentTooLarge(max)
		}
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	return convhttp.WriteJSON(w, status, api.FromAttachment(a))
}

// listAttachments serves GET …/attachments, oldest first by default.
func (d *Door) listAttachments(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r, pageParams...)
	if err != nil {
		return err
	}
	var f convstore.AttachmentFilter
	if f.PageFilter, err = page(q, convstore.PrefixAttachment, convstore.OrderAsc); err != nil {
		return err
	}
	atts, more, err := d.store.FindAttachments(r.Context(), convhttp.Tenant(r), cid, f)
	if err != nil {
		return err
	}
	return ok(w, newList(atts, more, api.FromAttachment, func(a *api.Attachment) string { return a.ID }))
}

// getAttachment serves GET …/attachments/{name}: the stored bytes with their
// content type and length, the SHA-256 as ETag, X-Content-SHA256 and
// Repr-Digest (RFC 9530), the record's id as X-Attachment-Id and its
// creation time as Last-Modified. A matching If-None-Match is answered 304.
func (d *Door) getAttachment(w http.ResponseWriter, r *http.Request) error {
	cid, name, err := attachmentPath(r)
	if err != nil {
		return err
	}
	a, body, err := d.store.OpenAttachment(r.Context(), convhttp.Tenant(r), cid, name)
	if err != nil {
		return err
	}
	defer body.Close()
	etag := `"` + a.SHA256 + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("X-Content-SHA256", a.SHA256)
	h.Set("X-Attachment-Id", a.ID.Format(convstore.PrefixAttachment))
	if sum, err := hex.DecodeString(a.SHA256); err == nil && len(sum) == sha256.Size {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	}
	h.Set("Last-Modified", a.CreatedAt.UTC().Format(http.TimeFormat))
	// Cache-Control stays the server's no-store: a copy of a recording
	// kept in a browser cache would outlive its deletion. A client may
	// still revalidate with If-None-Match.
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return convhttp.WriteAttachment(w, r, a, body)
}

// etagMatch reports whether an If-None-Match header matches etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// deleteAttachment serves DELETE …/attachments/{name}.
func (d *Door) deleteAttachment(w http.ResponseWriter, r *http.Request) error {
	cid, name, err := attachmentPath(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	a, err := d.store.FindAttachmentByName(ctx, tid, cid, name)
	if err != nil {
		return err
	}
	if err := d.store.DeleteAttachment(ctx, tid, cid, name, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: a.ID.Format(convstore.PrefixAttachment), Object: api.ObjectAttachmentDeleted, Deleted: true})
}
