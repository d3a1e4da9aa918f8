package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/convstore/convstore"
)

// DefaultUserAgent is the User-Agent header sent unless WithUserAgent
// replaces it.
const DefaultUserAgent = "convstore-go-client/1"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// The services a Client implements over HTTP. TenantService (operators
// only) and TokenService (the Symbl door's token flow) are not part of the
// native API.
var (
	_ convstore.ConversationService = (*Client)(nil)
	_ convstore.MessageService      = (*Client)(nil)
	_ convstore.ArtifactService     = (*Client)(nil)
	_ convstore.AttachmentService   = (*Client)(nil)
	_ convstore.DeletionService     = (*Client)(nil)
	_ convstore.KeyService          = (*Client)(nil)
)

// Client calls a convstore server's native API with one API key.
type Client struct {
	baseURL   string
	key       string
	http      *http.Client
	userAgent string

	mu       sync.Mutex
	tenantID convstore.ID // the key's tenant, once known (see TenantID)
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc instead of
// http.DefaultClient (for timeouts, proxies or a test transport).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the server at baseURL (for example
// "http://127.0.0.1:8080", with or without a trailing slash) that
// authenticates with key. A malformed baseURL surfaces as the error of the
// first call.
func New(baseURL, key string, opts ...Option) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		key:       key,
		http:      http.DefaultClient,
		userAgent: DefaultUserAgent,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the server address the client was made with.
func (c *Client) BaseURL() string { return c.baseURL }

// request describes one call: its method and escaped path, query, JSON
// body (nil for none) and where to decode a 2xx answer (nil to discard it).
type request struct {
	method, path string
	query        url.Values
	in, out      any
	secret       *string // the credential; nil means the client's key
	requestID    string  // sent as X-Request-Id when set
	status       *int    // if set, receives the 2xx status answered
}

// newRequest builds a request of path (already escaped) with query and an
// optional body of the given content type, authenticated with the client's
// key.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Request, error) {
	return c.newRequestAs(ctx, c.key, method, path, query, body, contentType)
}

// newRequestAs is newRequest authenticated with secret. A secret that
// cannot travel in a header (control characters, spaces, non-ASCII) is
// not sent at all, so the server answers it with its one 401 for every
// bad credential.
func (c *Client) newRequestAs(ctx context.Context, secret, method, path string, query url.Values, body io.Reader, contentType string) (*http.Request, error) {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("convstore client: %w", err)
	}
	if secret != "" && visibleASCII(secret) {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// visibleASCII reports whether s is printable ASCII without spaces.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// send performs req and returns the response if its status is 2xx; any
// other status is read and returned as a *Error.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("convstore client: %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, errorFromResponse(resp)
}

// do sends r with its JSON body and decodes the 2xx answer into r.out.
func (c *Client) do(ctx context.Context, r request) error {
	var body io.Reader
	contentType := ""
	if r.in != nil {
		b, err := json.Marshal(r.in)
		if err != nil {
			return fmt.Errorf("convstore client: encoding request: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	secret := c.key
	if r.secret != nil {
		secret = *r.secret
	}
	req, err := c.newRequestAs(ctx, secret, r.method, r.path, r.query, body, contentType)
	if err != nil {
		return err
	}
	if r.requestID != "" {
		req.Header.Set(RequestIDHeader, r.requestID)
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if r.status != nil {
		*r.status = resp.StatusCode
	}
	if r.secret == nil {
		c.noteTenant(resp.Header) // an answer to another secret names its tenant
	}
	if r.out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return decodeJSON(resp, r.out)
}

// decodeJSON decodes a 2xx response body into out.
func decodeJSON(resp *http.Response, out any) error {
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("convstore client: decoding %s %s response: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// pathf formats a URL path, escaping every argument as one path segment.
func pathf(format string, args ...string) string {
	escaped := make([]any, len(args))
	for i, a := range args {
		escaped[i] = url.PathEscape(a)
	}
	return fmt.Sprintf(format, escaped...)
}

// pageQuery adds a page filter's parameters; prefix is the native id prefix
// of the listed resource, used to render the After cursor.
func pageQuery(q url.Values, p convstore.PageFilter, prefix string) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if !p.After.IsZero() {
		q.Set("after", p.After.Format(prefix))
	}
	if p.Order != "" {
		q.Set("order", string(p.Order))
	}
	return q
}
