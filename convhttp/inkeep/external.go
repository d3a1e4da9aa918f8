package inkeep

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// getConversationByExternalID serves GET /conversations/external/{id}: the
// conversation whose externalId member (metadata "inkeep.externalId") is
// id. Inkeep does not say what happens when several conversations share an
// externalId; the newest one answers.
func (d *Door) getConversationByExternalID(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	id := r.PathValue("externalId")
	if id == "" || len(id) > maxMetaLen || checkText("externalId", id, 0) != nil {
		return errConversationNotFound()
	}
	cs, _, err := d.store.FindConversations(ctx, t, convstore.ConversationFilter{
		Metadata:   convstore.Metadata{metaExternalID: id},
		PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc},
	})
	if lookupMiss(err) || (err == nil && len(cs) == 0) {
		return errConversationNotFound()
	} else if err != nil {
		return err
	}
	return d.respondWith(w, r, cs[0])
}
