package convhttp

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
)

// WriteAttachment answers 200 with an attachment's bytes: its content type
// and length, and a Content-Disposition that keeps browsers from rendering
// user content inline. A HEAD request gets the headers only. A short or
// failed copy is an error (the response has begun, so the server logs it).
func WriteAttachment(w http.ResponseWriter, r *http.Request, a *convstore.Attachment, body io.Reader) error {
	h := w.Header()
	h.Set("Content-Type", a.ContentType)
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("Content-Disposition", `attachment; filename="`+a.Name+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return fmt.Errorf("stream attachment after %d of %d bytes: %w", n, a.Size, err)
	}
	if n != a.Size {
		return fmt.Errorf("stream attachment: store gave %d bytes, record says %d", n, a.Size)
	}
	return nil
}
