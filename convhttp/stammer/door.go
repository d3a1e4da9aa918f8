package stammer

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "stammer"

// Door is the Stammer.ai-compatible API. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the Stammer door serving s's store. Mount it at the root of
// its own listener or at "/compat/stammer" on the main one.
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the token of an "Authorization: Token <key>" header, the
// Django REST framework TokenAuthentication scheme Stammer uses.
func (d *Door) Secret(r *http.Request) string { return convhttp.AuthorizationToken(r, "Token") }

// Path patterns, exactly as Stammer documents them. Each ends in "/{$}" so
// ServeMux matches the documented path only, not the subtree below it.
const (
	pathMessage       = "/en/chatbot/api/v1/message/{$}"
	pathConversations = "/en/chatbot/api/v1/conversations/{$}"
	pathDeactivate    = "/en/chatbot/api/v1/conversation/{conversation_uuid}/deactivate/{$}"
)

// Routes is the door's route table.
func (d *Door) Routes() []convhttp.Route {
	return []convhttp.Route{
		{Method: http.MethodPost, Path: pathMessage, Scope: convstore.ScopeWrite, Handler: d.sendMessage},
		{Method: http.MethodGet, Path: pathConversations, Scope: convstore.ScopeRead, Handler: d.listConversations},
		{Method: http.MethodPost, Path: pathDeactivate, Scope: convstore.ScopeDelete, Handler: d.deactivateConversation},
	}
}
