package elevenlabs

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// DoorName is the door's name, recorded in deletion receipts and audit
// entries.
const DoorName = "elevenlabs"

// Door is the ElevenLabs Agents Platform (ConvAI) conversation API. It
// implements convhttp.Door.
type Door struct {
	srv   *convhttp.Server
	store convstore.Store
}

// New returns the ElevenLabs door over s's store. Mount it at the root of
// its own listener and at "/compat/elevenlabs" on the main one.
func New(s *convhttp.Server) *Door {
	return &Door{srv: s, store: s.Store()}
}

// Name returns DoorName.
func (d *Door) Name() string { return DoorName }

// Secret returns the xi-api-key header, the only credential ElevenLabs
// clients send.
func (d *Door) Secret(r *http.Request) string { return r.Header.Get("xi-api-key") }

// Path patterns, exactly as ElevenLabs documents them.
const (
	pathConversations = "/v1/convai/conversations"
	pathConversation  = pathConversations + "/{conversation_id}"
	pathAudio         = pathConversation + "/audio"
	pathFeedback      = pathConversation + "/feedback"
	pathSummary       = pathConversation + "/summary"
	pathSIPMessages   = pathConversation + "/sip-messages"
	pathFiles         = pathConversation + "/files"
	pathFile          = pathFiles + "/{file_id}"
	pathTextSearch    = pathConversations + "/messages/text-search"
)

// Routes is the door's route table. GET routes also answer HEAD.
func (d *Door) Routes() []convhttp.Route {
	return append([]convhttp.Route{
		{Method: http.MethodGet, Path: pathConversations, Scope: convstore.ScopeRead, Handler: d.listConversations},
		{Method: http.MethodGet, Path: pathConversation, Scope: convstore.ScopeRead, Handler: d.getConversation},
		{Method: http.MethodDelete, Path: pathConversation, Scope: convstore.ScopeDelete, Handler: d.deleteConversation},
		{Method: http.MethodGet, Path: pathAudio, Scope: convstore.ScopeRead, Handler: d.getAudio, Transfer: convhttp.TransferDownload},
		{Method: http.MethodGet, Path: pathSummary, Scope: convstore.ScopeRead, Handler: d.getSummary},
		{Method: http.MethodPost, Path: pathFeedback, Scope: convstore.ScopeWrite, Handler: d.postFeedback},
		{Method: http.MethodGet, Path: pathSIPMessages, Scope: convstore.ScopeRead, Handler: d.getSIPMessages},
		{Method: http.MethodPost, Path: pathFiles, Scope: convstore.ScopeWrite, Handler: d.postFile, Transfer: convhttp.TransferUpload},
		{Method: http.MethodDelete, Path: pathFile, Scope: convstore.ScopeDelete, Handler: d.deleteFile},
		{Method: http.MethodGet, Path: pathTextSearch, Scope: convstore.ScopeRead, Handler: d.textSearch},
		{Method: http.MethodGet, Path: pathUsers, Scope: convstore.ScopeRead, Handler: d.listUsers},
	}, append(d.tagRoutes(), unservedRoutes()...)...)
}
