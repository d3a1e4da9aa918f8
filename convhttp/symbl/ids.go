package symbl

import (
	"math/big"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// conversationID renders a conversation's Symbl id: its sequence number in
// decimal, like Symbl's own digit-string ids.
func conversationID(c *convstore.Conversation) string { return strconv.FormatInt(c.Seq, 10) }

// decimalID renders a message or insight id as the 128-bit id in decimal.
func decimalID(id convstore.ID) string { return new(big.Int).SetBytes(id[:]).String() }

// parseSeq parses a canonical positive decimal (no sign, no leading zero,
// at most 19 digits); ok is false for anything else.
func parseSeq(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// findConversation resolves the {conversationId} path parameter in the
// caller's tenant. Malformed, unknown, foreign and deleted ids are all the
// same 404.
func (d *Door) findConversation(r *http.Request) (*convstore.Conversation, error) {
	seq, ok := parseSeq(r.PathValue("conversationId"))
	if !ok {
		return nil, errConversationNotFound()
	}
	conv, err := d.store.FindConversationBySeq(r.Context(), convhttp.Tenant(r), seq)
	if err != nil {
		return nil, notFoundAs(err)
	}
	return conv, nil
}
