package openai

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "openai"

// Door is the OpenAI Conversations API door. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the OpenAI door over s's store. Mount it at the root of its
// own listener and at "/compat/openai" on the main one; the SDKs' base URL
// is either of those followed by "/v1".
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the key of "Authorization: Bearer <key>", as the OpenAI
// SDKs send it.
func (d *Door) Secret(r *http.Request) string { return convhttp.BearerSecret(r) }

// Path patterns of the Conversations API, relative to the mount point.
const (
	pathConversations = "/v1/conversations"
	pathConversation  = pathConversations + "/{conversation_id}"
	pathItems         = pathConversation + "/items"
	pathItem          = pathItems + "/{item_id}"
)

// Routes is the door's route table. GET routes also answer HEAD.
func (d *Door) Routes() []convhttp.Route {
	const (
		read  = convstore.ScopeRead
		write = convstore.ScopeWrite
		del   = convstore.ScopeDelete
	)
	return []convhttp.Route{
		{Method: http.MethodPost, Path: pathConversations, Scope: write, Handler: d.createConversation},
		{Method: http.MethodGet, Path: pathConversation, Scope: read, Handler: d.getConversation},
		{Method: http.MethodPost, Path: pathConversation, Scope: write, Handler: d.updateConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: del, Handler: d.deleteConversation},

		{Method: http.MethodPost, Path: pathItems, Scope: write, Handler: d.createItems},
		{Method: http.MethodGet, Path: pathItems, Scope: read, Handler: d.listItems},
		{Method: http.MethodGet, Path: pathItem, Scope: read, Handler: d.getItem},
		{Method: http.MethodDelete, Path: pathItem, Scope: del, Handler: d.deleteItem},
	}
}

// ok writes a 200 JSON body: OpenAI answers every success with 200,
// creates and deletes included.
func ok(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusOK, v) }
