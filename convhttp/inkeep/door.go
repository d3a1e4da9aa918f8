package inkeep

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "inkeep"

// Door is the Inkeep Analytics API door. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the Inkeep door serving s's store. Mount it at the root of its
// own listener and at "/compat/inkeep" on the main listener.
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the Bearer token of the Authorization header: a convstore
// key plays Inkeep's web or API integration key.
func (d *Door) Secret(r *http.Request) string { return convhttp.BearerSecret(r) }

// Path patterns, exactly as Inkeep documents them.
const (
	pathConversations = "/conversations"
	pathConversation  = "/conversations/{id}"
	pathFeedback      = "/feedback"
	pathFeedbackOne   = "/feedback/{id}"
	pathExternal      = "/conversations/external/{externalId}"
	pathEvents        = "/events"
)

// Routes is the door's one route table: its routes, each answering CORS
// for the origins the key's tenant allows, and an OPTIONS route per path
// for preflights (see cors.go). GET routes also answer HEAD.
func (d *Door) Routes() []convhttp.Route {
	routes := []convhttp.Route{
		{Method: http.MethodPost, Path: pathConversations, Scope: convstore.ScopeWrite, Handler: d.logConversation},
		{Method: http.MethodGet, Path: pathConversations, Scope: convstore.ScopeRead, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: convstore.ScopeRead, Handler: d.getConversation},
		{Method: http.MethodGet, Path: pathExternal, Scope: convstore.ScopeRead, Handler: d.getConversationByExternalID},
		{Method: http.MethodDelete, Path: pathConversation, Scope: convstore.ScopeDelete, Handler: d.deleteConversation},
		{Method: http.MethodPost, Path: pathFeedback, Scope: convstore.ScopeWrite, Handler: d.submitFeedback},
		{Method: http.MethodGet, Path: pathFeedback, Scope: convstore.ScopeRead, Handler: d.listFeedback},
		{Method: http.MethodGet, Path: pathFeedbackOne, Scope: convstore.ScopeRead, Handler: d.getFeedback},
		{Method: http.MethodPost, Path: pathEvents, Scope: convstore.ScopeWrite, Handler: d.logEvent},
	}
	routes = append(routes, unservedRoutes()...)
	for i := range routes {
		routes[i].Handler = d.withCORS(routes[i].Handler)
	}
	return append(routes, d.preflightRoutes(routes)...)
}

// ok writes a 200 JSON body; every Inkeep success is a 200.
func ok(w http.ResponseWriter, v any) error { return convhttp.WriteJSON(w, http.StatusOK, v) }
