package botpress

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "botpress"

// Door is the Botpress Runtime (chat) API door. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the Botpress door over s's store. Mount it at the root of its
// own listener and at "/compat/botpress" on the main one.
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the token of "Authorization: Bearer <token>", as Botpress
// clients send it.
func (d *Door) Secret(r *http.Request) string { return convhttp.BearerSecret(r) }

// Path patterns of the Botpress Runtime API, relative to the mount point.
const (
	pathUsers              = "/v1/chat/users"
	pathConversations      = "/v1/chat/conversations"
	pathConversationGetOrC = pathConversations + "/get-or-create"
	pathConversation       = pathConversations + "/{id}"
	pathMessages           = "/v1/chat/messages"
	pathMessage            = pathMessages + "/{id}"
)

// Routes is the door's route table. GET routes also answer HEAD.
func (d *Door) Routes() []convhttp.Route {
	const (
		read  = convstore.ScopeRead
		write = convstore.ScopeWrite
		del   = convstore.ScopeDelete
	)
	return []convhttp.Route{
		{Method: http.MethodPost, Path: pathUsers, Scope: write, Handler: d.createUser},

		{Method: http.MethodPost, Path: pathConversations, Scope: write, Handler: d.createConversation},
		{Method: http.MethodPost, Path: pathConversationGetOrC, Scope: write, Handler: d.getOrCreateConversation},
		{Method: http.MethodGet, Path: pathConversations, Scope: read, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: read, Handler: d.getConversation},
		{Method: http.MethodPut, Path: pathConversation, Scope: write, Handler: d.updateConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: del, Handler: d.deleteConversation},

		{Method: http.MethodPost, Path: pathMessages, Scope: write, Handler: d.createMessage},
		{Method: http.MethodGet, Path: pathMessages, Scope: read, Handler: d.listMessages},
		{Method: http.MethodGet, Path: pathMessage, Scope: read, Handler: d.getMessage},
		{Method: http.MethodDelete, Path: pathMessage, Scope: del, Handler: d.deleteMessage},
	}
}

// ok writes a 200 JSON body: Botpress answers every success with 200,
// creates included.
func ok(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusOK, v) }
