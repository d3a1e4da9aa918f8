package client

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// Response headers that describe an attachment's bytes on GET.
const (
	AttachmentIDHeader     = "X-Attachment-Id"
	AttachmentSHA256Header = "X-Content-SHA256"
)

// PutAttachment stores p.Body under p.Name (PUT
// /v1/conversations/{id}/attachments/{name}), streaming it, and replaces
// an attachment of the same name. ETOOLARGE past the server's limit, or
// past p.MaxBytes when that is set (0 leaves the limit to the server);
// ENOTFOUND if the conversation is missing, EINVALID for a bad name or
// content type. When the body fails, the upload is abandoned and the
// server keeps nothing. Only p.Actor.ClientRequestID is sent (see the
// package documentation).
func (c *Client) PutAttachment(ctx context.Context, tenantID, conversationID convstore.ID, p *convstore.AttachmentPut) (*convstore.Attachment, error) {
	if p == nil {
		return nil, convstore.Invalidf("body", "attachment is missing")
	}
	put := *p // Validate fills in defaults; the caller's value stays as it was
	if put.Body == nil || put.Name == "" || !visibleASCII(strings.ReplaceAll(put.ContentType, " ", "")) {
		// No body, or a name or content type that cannot travel in a
		// path or header as it is: the domain's rules answer.
		if err := put.Validate(); err != nil {
			return nil, err
		}
		return nil, convstore.Invalidf("content_type", "content type %q cannot be sent in a header", put.ContentType)
	}
	rid, err := requestID(p.Actor)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || conversationID.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	body := put.Body
	var capped *capReader
	if max := p.MaxBytes; max > 0 {
		if n, known := bodyLength(body); known && n > max {
			return nil, tooLarge(max) // refused before a byte is sent
		} else if !known {
			capped = &capReader{r: body, max: max}
			body = capped
		}
	}
	req, err := c.newRequest(ctx, http.MethodPut, attachmentPath(conversationID, put.Name), nil, body, put.ContentType)
	if err != nil {
		return nil, err
	}
	if rid != "" {
		req.Header.Set(RequestIDHeader, rid)
	}
	resp, err := c.send(req)
	if capped != nil && capped.over {
		if err == nil {
			resp.Body.Close()
		}
		// The transport reports the cut body its own way; the cause is
		// the limit.
		return nil, tooLarge(capped.max)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	c.noteTenant(resp.Header)
	var out api.Attachment
	if err := decodeJSON(resp, &out); err != nil {
		return nil, err
	}
	return api.ToAttachment(&out), nil
}

// bodyLength returns the length of a body that knows it.
func bodyLength(r io.Reader) (int64, bool) {
	if l, ok := r.(interface{ Len() int }); ok {
		return int64(l.Len()), true
	}
	return 0, false
}

// tooLarge is the ETOOLARGE of a body over max bytes, as the server words it.
func tooLarge(max int64) error {
	return &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
		Message: "The attachment is larger than the limit of " + strconv.FormatInt(max, 10) + " bytes."}
}

// capReader passes at most max bytes through and then fails, so an upload
// stops as soon as it is known to be too large.
type capReader struct {
	r    io.Reader
	n    int64 // bytes passed so far
	max  int64
	over bool
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.over = true
		return 0, tooLarge(c.max)
	}
	return n, err
}

// FindAttachmentByName returns one attachment record (HEAD
// /v1/conversations/{id}/attachments/{name}: the headers describe it).
// ENOTFOUND if it or the conversation is missing.
func (c *Client) FindAttachmentByName(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || conversationID.IsZero() || convstore.ValidateAttachmentName(name) != nil {
		return nil, convstore.NotFound("attachment")
	}
	req, err := c.newRequest(ctx, http.MethodHead, attachmentPath(conversationID, name), nil, nil, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	c.noteTenant(resp.Header)
	return attachmentFromHeaders(conversationID, name, resp), nil
}

// FindAttachments returns a page of a conversation's attachment records
// (GET /v1/conversations/{id}/attachments) and whether more follow.
// ENOTFOUND if the conversation is missing.
func (c *Client) FindAttachments(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.AttachmentFilter) ([]*convstore.Attachment, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || conversationID.IsZero() {
		return nil, false, convstore.NotFound("conversation")
	}
	var out api.List[api.Attachment]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixAttachment)
	if err := c.do(ctx, request{method: http.MethodGet, path: attachmentsPath(conversationID), query: q, out: &out}); err != nil {
		return nil, false, err
	}
	atts := make([]*convstore.Attachment, len(out.Data))
	for i := range out.Data {
		atts[i] = api.ToAttachment(&out.Data[i])
	}
	return atts, out.HasMore, nil
}

// OpenAttachment starts downloading an attachment's bytes (GET
// /v1/conversations/{id}/attachments/{name}). It returns what the response
// headers tell of the record (id, name, content type, size, checksum and
// creation time) and the body, which the caller must close. ENOTFOUND if
// missing.
func (c *Client) OpenAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, io.ReadCloser, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if !ok || conversationID.IsZero() || convstore.ValidateAttachmentName(name) != nil {
		return nil, nil, convstore.NotFound("attachment")
	}
	req, err := c.newRequest(ctx, http.MethodGet, attachmentPath(conversationID, name), nil, nil, "")
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.send(req)
	if err != nil {
		return nil, nil, err
	}
	c.noteTenant(resp.Header)
	return attachmentFromHeaders(conversationID, name, resp), resp.Body, nil
}

// DeleteAttachment permanently deletes an attachment's record and bytes
// (DELETE /v1/conversations/{id}/attachments/{name}). ENOTFOUND if
// missing. Only p.ClientRequestID is sent (see the package documentation).
func (c *Client) DeleteAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || conversationID.IsZero() || convstore.ValidateAttachmentName(name) != nil {
		return convstore.NotFound("attachment")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: attachmentPath(conversationID, name), requestID: rid})
}

// attachmentFromHeaders describes the attachment a GET response streams.
func attachmentFromHeaders(convID convstore.ID, name string, resp *http.Response) *convstore.Attachment {
	h := resp.Header
	a := &convstore.Attachment{
		ConversationID: convID,
		Name:           name,
		ContentType:    h.Get("Content-Type"),
		Size:           resp.ContentLength,
	}
	if s := h.Get(AttachmentIDHeader); s != "" {
		a.ID, _ = convstore.ParseID(convstore.PrefixAttachment, "id", s)
	}
	a.SHA256 = strings.ToLower(h.Get(AttachmentSHA256Header))
	if a.SHA256 == "" {
		a.SHA256 = sha256FromDigest(h.Get("Repr-Digest"))
	}
	if a.SHA256 == "" {
		a.SHA256 = sha256FromETag(h.Get("ETag"))
	}
	if a.Size < 0 {
		a.Size, _ = strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		a.CreatedAt = t.UTC()
	} else if !a.ID.IsZero() {
		a.CreatedAt = a.ID.Time().Truncate(time.Second)
	}
	return a
}

// sha256FromDigest reads the sha-256 member of an RFC 9530 Repr-Digest
// header (sha-256=:base64:) as hex.
func sha256FromDigest(v string) string {
	for _, member := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(member), "=")
		if !ok || !strings.EqualFold(k, "sha-256") {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(strings.Trim(val, ":"))
		if err == nil && len(b) == 32 {
			return hex.EncodeToString(b)
		}
	}
	return ""
}

// sha256FromETag returns a strong ETag's value if it is a hex SHA-256.
func sha256FromETag(v string) string {
	v = strings.Trim(v, `"`)
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return strings.ToLower(v)
	}
	return ""
}

func attachmentsPath(convID convstore.ID) string {
	return conversationPath(convID) + "/attachments"
}

func attachmentPath(convID convstore.ID, name string) string {
	return attachmentsPath(convID) + pathf("/%s", name)
}
