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

	"github.com/convstore/convstore"
)

// DefaultUserAgent is the User-Agent header sent unless WithUserAgent
// replaces it.
const DefaultUserAgent = "convstore-go-client/1"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Client calls a convstore server's native API with one API key.
type Client struct {
	baseURL   string
	key       string
	http      *http.Client
	userAgent string
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

// newRequest builds a request of path (already escaped) with query and an
// optional body of the given content type.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader, contentType string) (*http.Request, error) {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("convstore client: %w", err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
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

// doJSON sends in (if not nil) as a JSON body and decodes the 2xx response
// into out (if not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	contentType := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("convstore client: encoding request: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := c.newRequest(ctx, method, path, query, body, contentType)
	if err != nil {
		return err
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return decodeJSON(resp, out)
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
