package botpress

import (
	"net/http"
	"sync"

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
	// getOrCreate serializes the message get-or-creates of a conversation
	// (by a stripe of its id) within this process.
	getOrCreate [64]sync.Mutex
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
	pathUserGetOrCreate    = pathUsers + "/get-or-create"
	pathUser               = pathUsers + "/{id}"
	pathConversations      = "/v1/chat/conversations"
	pathConversationGetOrC = pathConversations + "/get-or-create"
	pathConversation       = pathConversations + "/{id}"
	pathParticipants       = pathConversation + "/participants"
	pathParticipant        = pathParticipants + "/{userId}"
	pathMessages           = "/v1/chat/messages"
	pathMessageGetOrCreate = pathMessages + "/get-or-create"
	pathMessage            = pathMessages + "/{id}"
	pathIncoming           = "/v1/chat/initialize-incoming-message"
	pathImport             = pathMessages + "/import-messages"
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
		{Method: http.MethodPost, Path: pathUserGetOrCreate, Scope: write, Handler: d.getOrCreateUser},
		{Method: http.MethodGet, Path: pathUsers, Scope: read, Handler: d.listUsers},
		{Method: http.MethodGet, Path: pathUser, Scope: read, Handler: d.getUser},
		{Method: http.MethodPut, Path: pathUser, Scope: write, Handler: d.updateUser},
		{Method: http.MethodDelete, Path: pathUser, Scope: del, Handler: d.deleteUser},

		{Method: http.MethodPost, Path: pathConversations, Scope: write, Handler: d.createConversation},
		{Method: http.MethodPost, Path: pathConversationGetOrC, Scope: write, Handler: d.getOrCreateConversation},
		{Method: http.MethodGet, Path: pathConversations, Scope: read, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: read, Handler: d.getConversation},
		{Method: http.MethodPut, Path: pathConversation, Scope: write, Handler: d.updateConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: del, Handler: d.deleteConversation},
		{Method: http.MethodPost, Path: pathParticipants, Scope: write, Handler: d.addParticipant},
		{Method: http.MethodGet, Path: pathParticipants, Scope: read, Handler: d.listParticipants},
		{Method: http.MethodGet, Path: pathParticipant, Scope: read, Handler: d.getParticipant},
		{Method: http.MethodDelete, Path: pathParticipant, Scope: write, Handler: d.removeParticipant},

		{Method: http.MethodPost, Path: pathMessages, Scope: write, Handler: d.createMessage},
		{Method: http.MethodPost, Path: pathMessageGetOrCreate, Scope: write, Handler: d.getOrCreateMessage},
		{Method: http.MethodPost, Path: pathImport, Scope: write, Handler: d.importMessages},
		{Method: http.MethodPut, Path: pathMessage, Scope: write, Handler: d.updateMessage},
		{Method: http.MethodGet, Path: pathMessages, Scope: read, Handler: d.listMessages},
		{Method: http.MethodGet, Path: pathMessage, Scope: read, Handler: d.getMessage},
		{Method: http.MethodDelete, Path: pathMessage, Scope: del, Handler: d.deleteMessage},

		{Method: http.MethodPost, Path: pathIncoming, Scope: write, Handler: d.initializeIncomingMessage},
	}
}

// ok writes a 200 JSON body: Botpress answers every success with 200,
// creates included.
func ok(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusOK, v) }
