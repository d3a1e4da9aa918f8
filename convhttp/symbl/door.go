package symbl

import (
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// now is the door's clock: the end of the default list window.
var now = time.Now

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "symbl"

// Door is the Symbl.ai-compatible API. It implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the Symbl door serving s's store. Mount it at "/" on its own
// listener or at "/compat/symbl" on the main one.
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the request's token, from "Authorization: Bearer
// <token>" or else the deprecated "x-api-key" header; "" when absent. It
// is an access token or a raw key secret: AuthenticateRequest tells them
// apart.
func (d *Door) Secret(r *http.Request) string {
	if tok := convhttp.BearerSecret(r); tok != "" {
		return tok
	}
	return r.Header.Get("x-api-key")
}

// Scopes of the routes, named for the table's readability.
const (
	public = convstore.Scope("")
	read   = convstore.ScopeRead
	write  = convstore.ScopeWrite
	del    = convstore.ScopeDelete
)

// Path patterns, exactly as Symbl documents them.
const (
	pathToken         = "/oauth2/token:generate"
	pathProcessText   = "/v1/process/text"
	pathAppendText    = pathProcessText + "/{conversationId}"
	pathJob           = "/v1/job/{jobId}"
	pathConversations = "/v1/conversations"
	pathConversation  = pathConversations + "/{conversationId}"
)

// Routes is the door's one route table. GET routes also answer HEAD.
func (d *Door) Routes() []convhttp.Route {
	return []convhttp.Route{
		{Method: http.MethodPost, Path: pathToken, Scope: public, Handler: d.generateToken},

		{Method: http.MethodPost, Path: pathProcessText, Scope: write, Handler: d.processText},
		{Method: http.MethodPut, Path: pathAppendText, Scope: write, Handler: d.appendText},
		{Method: http.MethodGet, Path: pathJob, Scope: read, Handler: d.getJob},

		{Method: http.MethodGet, Path: pathConversations, Scope: read, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: read, Handler: d.getConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: del, Handler: d.deleteConversation},
		{Method: http.MethodGet, Path: pathConversation + "/members", Scope: read, Handler: d.listMembers},
		{Method: http.MethodGet, Path: pathConversation + "/messages", Scope: read, Handler: d.listMessages},

		{Method: http.MethodGet, Path: pathConversation + "/topics", Scope: read, Handler: d.listTopics},
		{Method: http.MethodGet, Path: pathConversation + "/questions", Scope: read, Handler: d.listQuestions},
		{Method: http.MethodGet, Path: pathConversation + "/action-items", Scope: read, Handler: d.listActionItems},
		{Method: http.MethodGet, Path: pathConversation + "/follow-ups", Scope: read, Handler: d.listFollowUps},
		{Method: http.MethodGet, Path: pathConversation + "/insights", Scope: read, Handler: d.listInsights},
		{Method: http.MethodGet, Path: pathConversation + "/summary", Scope: read, Handler: d.listSummary},
	}
}

// ok writes a 200 JSON body.
func ok(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// writeJSON writes a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return convhttp.WriteJSON(w, status, v)
}
