// Package inkeep is the Inkeep Analytics API door of convstore: the routes
// of api.analytics.inkeep.com that log, read, list and delete conversations
// and submit and read feedback, wire-compatible with the official
// @inkeep/inkeep-analytics SDK, whose zod schemas parse every body strictly.
// It listens at the root of its own listener (--inkeep-addr) and under
// /compat/inkeep on the main listener.
//
// # Endpoints
//
//	POST   /conversations       log (upsert) a conversation → 200 Conversation
//	GET    /conversations       ?limit=0..100 (20) &offset=0..100000 (0), newest first
//	                            → 200 {conversations, total, pageSize, count}
//	GET    /conversations/{id}  → 200 Conversation
//	DELETE /conversations/{id}  → 200 {"success":true,"message":"Conversation deleted successfully"}
//	POST   /feedback            → 200 feedback
//	GET    /feedback/{id}       → 200 feedback with its conversation and message
//
// Reads need the read scope, logging and feedback the write scope, DELETE
// the delete scope. Every answer that holds conversations (get, list, the
// log's answer, GET /feedback/{id}) streams their messages a store page at
// a time, in both formats, so it holds one page however long the
// conversation: both lists show the messages up to the newest one when the
// request began (see convhttp.MessagePages), and a store failure after the
// answer began aborts the connection. The list reads the messages and
// field artifacts of its conversations in batches across conversations
// (convhttp.ListMessages), never one conversation at a time.
//
// # Authentication
//
// Authorization: Bearer <convstore key>: the key plays Inkeep's web or API
// integration key. A missing, malformed, unknown or revoked key is one 401
// (with WWW-Authenticate: Bearer); a key without the route's scope is 403.
//
// # Errors
//
// Every error is application/problem+json:
//
//	{"title","status","detail","instance","requestId","code","type","error":{"code","message"}}
//
// title is the HTTP status text, instance the request path as received
// (including /compat/inkeep), requestId the X-Request-Id, error.message
// equals detail. type is "about:blank": Inkeep's docs omit it but some SDK
// versions require a string there, and others ignore it. Codes: bad_request
// (400: a body that is not a JSON object or not application/json, a key
// repeated in one object, a malformed limit or offset),
// unauthorized (401), forbidden (403), not_found (404), unprocessable_entity
// (422: a member missing or of the wrong type or value), internal_server_error
// (500, detail never shows internals). Statuses Inkeep does not document keep
// their real status with a code of their own, since the SDK turns every
// undocumented 4XX/5XX into a generic APIError anyway: method_not_allowed
// (405, with Allow), payload_too_large (413), conflict (409: also a log
// whose new messages would take the conversation past the server's
// --max-conversation-messages; nothing is written),
// too_many_requests (429), service_unavailable (503), not_implemented (501).
// An unknown id and another tenant's id answer the same 404 body; detail
// never repeats the id.
//
// # Ids
//
// A conversation's id is the client's id when it was logged with one (kept
// as ExternalID "inkeep:<id>", so at most 249 bytes), else the native
// "conv_…" id. GET and DELETE look up ExternalID "inkeep:"+id first, then a
// native id. Messages always render their native "msg_…" id (the client's
// message id is kept in message metadata "inkeep.id" and used only to match
// messages on upsert), because POST /feedback must find a message from its
// messageId alone, which only the native id allows. A feedback's id is its
// artifact's native "art_…" id; a client-supplied feedback id is kept in the
// artifact's Data as clientId but not used as the id, since GET /feedback/{id}
// can only look up native ids.
//
// # Logging a conversation (upsert)
//
// Inkeep says: "always include all messages". Only type "openai" is
// accepted; "support_ticket" and "support_copilot" are 422, because they
// answer with other message shapes (support ticket messages) that this door
// does not model. The whole body is validated before anything is written.
//
// With an id: the conversation with ExternalID "inkeep:"+id, else (if the id
// is a native conv_ id of an existing conversation of the tenant, e.g. one
// logged without an id or made by another door) that conversation, is
// upserted; if neither exists, a conversation with ExternalID "inkeep:"+id
// is created. Without an id a new conversation with a native id is created
// every time. A create that loses a race for the same id upserts into the
// winner.
//
// Upserting: messages already stored are kept exactly as stored (content,
// name and their links, properties and tool calls: messages are immutable
// here) and the others are appended in body order. A body message with an id
// is already stored when a stored message has that native msg_ id or was
// logged with that client id; a body message without an id is already
// stored when its position is within the number of stored messages. Upsert
// never deletes messages: a body with fewer messages appends nothing. At most
// 1000 new messages per request (422 beyond). Conversation-level members
// follow patch rules: an absent member keeps its stored value, null clears
// it, a value replaces it.
//
// # Mapping
//
//   - type, externalId, externalUrl, supportTicketConversationId, projectId,
//     integrationId, visibility, createdAt, updatedAt: conversation metadata
//     "inkeep.<member>" (values at most 512 bytes; timestamps normalized to
//     UTC with milliseconds). Metadata of other doors is kept; more than 16
//     pairs in all is a 422. createdAt/updatedAt render the client's values
//     when given, else the store's times.
//   - properties, userProperties, tags, and each message's links,
//     properties, userProperties and tool_calls: one artifact of type
//     "other" whose Data is {"inkeep":{properties, userProperties, tags,
//     messages:{"msg_…":{…}}}}, replaced (a new one created, then the old
//     deleted) whenever it changes; at most 256 KiB in all (422 beyond).
//     Empty arrays in links, tool calls, reasons and sources render as null.
//   - userProperties.userId (else .id), a string or number, becomes
//     Conversation.UserID, so erasure by user finds Inkeep conversations.
//   - Message content: a string goes to Content; an array of OpenAI content
//     items (type text or image_url) goes to Parts, with the texts joined by
//     newlines into Content. An empty string is stored as Parts "" (the store
//     needs content or parts). name ↔ AuthorName; a message's externalId,
//     externalUrl, createdAt and updatedAt ↔ message metadata "inkeep.*".
//   - Conversations of other doors render as "openai" conversations:
//     user, assistant and system roles as they are, tool messages as
//     "assistant" (Inkeep's roles are a closed set of those three); Parts that
//     are not OpenAI content items render as the text content.
//
// # Feedback
//
// POST /feedback needs type (positive or negative) and messageId (a msg_ id
// this door rendered, of any conversation of the tenant); an unknown or
// foreign messageId is a 422 (Inkeep documents no 404 there). Every POST
// creates a new feedback: an artifact of type "other" on the message's
// conversation with MessageIDs [message], Text the type, Score +1 or -1 and
// Data {"inkeep_feedback":{type, messageId, createdAt, updatedAt, reasons,
// details, properties, userProperties, sources, clientId}}. The answer is
// the union of the members the SDK's submit, log and get schemas require
// (details renders "" when none was given). GET /feedback/{id} also embeds
// the conversation and message; an artifact that is not feedback, or whose
// message is gone, is a 404. Feedback is deleted with its conversation.
//
// # Deleting
//
// DELETE /conversations/{id} deletes the conversation with its messages,
// feedback and other artifacts and attachments through
// Store.DeleteConversation, recording Door "inkeep" in the receipt and
// audit entry. Unknown and foreign ids are the same 404. A later log under
// the deleted conversation's id is a 404 too, and writes nothing: under its
// client id, the tombstone the delete left refuses it (for the store's
// tombstone retention); under a "conv_…" id, which only convstore issues,
// always. An Idempotency-Key makes a retried DELETE answer the first 200.
package inkeep
