package stammer

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// msgDeleted is the success message of a deactivation.
const msgDeleted = "Conversation deleted successfully."

// deactivateConversation serves POST
// /en/chatbot/api/v1/conversation/{conversation_uuid}/deactivate/: a
// permanent, cascading delete (Stammer calls it deactivation). Any request
// body is ignored; clients send none or {}.
func (d *Door) deactivateConversation(w http.ResponseWriter, r *http.Request) error {
	id, ok := convstore.ParseUUID(r.PathValue("conversation_uuid"))
	if !ok || id.IsZero() {
		return errConversationNotFound()
	}
	del, err := d.store.DeleteConversation(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName))
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errConversationNotFound()
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, deactivated{
		Message:   msgDeleted,
		UUID:      id.UUID(),
		Deleted:   true,
		ReceiptID: del.ID.Format(convstore.PrefixDeletion),
	})
}
