package elevenlabs

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// statusNotSupported is the detail.status of an SDK method convstore
// cannot serve by nature (501): it stores conversations; it runs no
// agents, no LLM analysis and no embedding search.
const statusNotSupported = "not_supported_by_convstore"

// unserved are the SDK's conversation methods convstore cannot serve.
// Each answers 501 with a message that says why and what to use instead,
// rather than a bare 404 an SDK user would read as a wrong id. They answer
// before reading any id, so every tenant and id gets the same answer.
var unserved = []struct {
	method, path string
	message      string
}{
	{http.MethodGet, "/v1/convai/conversation/get-signed-url",
		"convstore stores conversation history and runs no agents, so it has no signed URL for a live conversation: " +
			"get it from ElevenLabs (conversations.getSignedUrl against api.elevenlabs.io) and point only conversation history at convstore."},
	{http.MethodGet, "/v1/convai/conversation/token",
		"convstore stores conversation history and runs no agents, so it has no WebRTC token for a live conversation: " +
			"get it from ElevenLabs (conversations.getWebrtcToken against api.elevenlabs.io) and point only conversation history at convstore."},
	{http.MethodGet, pathConversations + "/resolve",
		"convstore cannot resolve a Slack or Zendesk reference: ElevenLabs derives those conversation ids in its agent integrations, " +
			"which convstore does not run. Get a conversation by its id, or list them by agent_id and user_id."},
	{http.MethodGet, pathConversations + "/messages/smart-search",
		"convstore has no semantic (embedding) search: use conversations.messages.textSearch " +
			"(GET /v1/convai/conversations/messages/text-search), a keyword search over the stored transcripts."},
	{http.MethodPost, pathConversation + "/analysis/run",
		"convstore runs no LLM analysis: post the analysis as an \"analysis\" artifact through the native API " +
			"(POST /v1/conversations/{id}/artifacts); conversations.get then shows it."},
	{http.MethodPost, pathConversation + "/analysis/evaluations/run",
		"convstore runs no evaluations: post their results in an \"analysis\" artifact's evaluation_criteria_results through " +
			"the native API (POST /v1/conversations/{id}/artifacts); conversations.get then shows them."},
	{http.MethodGet, "/v1/convai/agents/{agent_id}/topics",
		"convstore runs no topic discovery: ElevenLabs' agent topics are the results of its daily LLM topic-discovery runs, " +
			"which cluster an agent's conversations into a hierarchy of labelled, described topics with 2-D coordinates and " +
			"sentiment metrics, and convstore runs no LLM. It keeps the topics stored with each conversation: read them " +
			"through the native API (GET /v1/conversations/{id}/artifacts?type=topic) or the Symbl door " +
			"(GET /v1/conversations/{conversationId}/topics)."},
}

// unservedRoutes are the routes of unserved: any valid key of the tenant
// may learn that a method is not served, whatever its scope.
func unservedRoutes() []convhttp.Route {
	var out []convhttp.Route
	for _, u := range unserved {
		err := &convstore.Error{Code: convstore.EUNSUPPORTED, Message: u.message}
		out = append(out, convhttp.Route{Method: u.method, Path: u.path, Scope: convhttp.AnyScope,
			Handler: func(http.ResponseWriter, *http.Request) error { return errNotSupported{err} }})
	}
	return out
}

// errNotSupported marks an unserved method's answer, so WriteError gives
// it statusNotSupported.
type errNotSupported struct{ err *convstore.Error }

func (e errNotSupported) Error() string { return e.err.Error() }
func (e errNotSupported) Unwrap() error { return e.err }
