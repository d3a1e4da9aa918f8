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

// PutAttachment uploads body as the conversation's attachment called name,
// replacing one of the same name. contentType "" means
// application/octet-stream. The body is streamed, not buffered.
// ETOOLARGE past the server's limit, ENOTFOUND if the conversation is
// missing, EINVALID for a bad name or content type.
func (c *Client) PutAttachment(ctx context.Context, convID convstore.ID, name, contentType string, body io.Reader) (*convstore.Attachment, error) {
	if contentType == "" {
		contentType = convstore.DefaultAttachmentContentType
	}
	req, err := c.newRequest(ctx, http.MethodPut, attachmentPath(convID, name), nil, body, contentType)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out api.Attachment
	if err := decodeJSON(resp, &out); err != nil {
		return nil, err
	}
	return api.ToAttachment(&out), nil
}

// ListAttachments returns a page of a conversation's attachment records and
// whether more follow.
func (c *Client) ListAttachments(ctx context.Context, convID convstore.ID, f convstore.AttachmentFilter) ([]*convstore.Attachment, bool, error) {
	var out api.List[api.Attachment]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixAttachment)
	if err := c.doJSON(ctx, http.MethodGet, attachmentsPath(convID), q, nil, &out); err != nil {
		return nil, false, err
	}
	atts := make([]*convstore.Attachment, len(out.Data))
	for i := range out.Data {
		atts[i] = api.ToAttachment(&out.Data[i])
	}
	return atts, out.HasMore, nil
}

// OpenAttachment starts downloading an attachment's bytes. It returns what
// the response headers tell of the record (name, content type, size, and
// id and checksum when the server sends them) and the body, which the
// caller must close. ENOTFOUND if missing.
func (c *Client) OpenAttachment(ctx context.Context, convID convstore.ID, name string) (*convstore.Attachment, io.ReadCloser, error) {
	req, err := c.newRequest(ctx, http.MethodGet, attachmentPath(convID, name), nil, nil, "")
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "*/*")
	resp, err := c.send(req)
	if err != nil {
		return nil, nil, err
	}
	return attachmentFromHeaders(convID, name, resp), resp.Body, nil
}

// DeleteAttachment permanently deletes an attachment's record and bytes.
// ENOTFOUND if missing.
func (c *Client) DeleteAttachment(ctx context.Context, convID convstore.ID, name string) error {
	return c.doJSON(ctx, http.MethodDelete, attachmentPath(convID, name), nil, nil, nil)
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
