package doors_test

import (
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestStreamingRoutesDeclareTheirTransfer: the routes that stream an
// attachment in or out keep a minimum rate instead of a fixed deadline,
// and every other route has the fixed deadlines of a JSON route.
func TestStreamingRoutesDeclareTheirTransfer(t *testing.T) {
	t.Parallel()
	want := map[string]convhttp.Transfer{
		"PUT /v1/conversations/{conversation_id}/attachments/{name}":              convhttp.TransferUpload,
		"GET /v1/conversations/{conversation_id}/attachments/{name}":              convhttp.TransferDownload,
		"GET /compat/elevenlabs/v1/convai/conversations/{conversation_id}/audio":  convhttp.TransferDownload,
		"POST /compat/elevenlabs/v1/convai/conversations/{conversation_id}/files": convhttp.TransferUpload,
	}
	s := doors.NewMainServer(doortest.New(t).Config())
	seen := 0
	for _, r := range s.Routes() {
		if w, ok := want[r.Pattern]; ok {
			seen++
			if r.Transfer != w {
				t.Errorf("%s: transfer %d, want %d", r.Pattern, r.Transfer, w)
			}
		} else if r.Transfer != convhttp.TransferJSON {
			t.Errorf("%s: transfer %d, want TransferJSON", r.Pattern, r.Transfer)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d streaming routes", seen, len(want))
	}
}
