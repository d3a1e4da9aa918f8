// Package inkeep is the Inkeep Analytics API door of convstore: the routes
// of api.analytics.inkeep.com that log, read, list and delete conversations,
// submit, read and list feedback and log events, wire-compatible with the
// official
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
//	GET    /conversations/external/{externalId}
//	                            → 200 Conversation whose externalId is that
//	DELETE /conversations/{id}  → 200 {"success":true,"message":"Conversation deleted successfully"}
//	POST   /feedback            → 200 feedback
//	GET    /feedback            ?limit=0..100 (10) &offset=0..100000 (0)
//	                            → 200 {positiveFeedbackCount, negativeFeedbackCount,
//	                                   positiveFeedback, negativeFeedback}
//	GET    /feedback/{id}       → 200 feedback with its conversation and message
//	POST   /events              → 200 SelectEvent
//	POST   /query/{conversations,events,feedback,semantic-threads,
//	        semantic-threads/export,property-keys,property-values},
//	GET    /query/{top-search-queries,weekly-search-users}
//	                            → 404 not_supported_by_convstore (see below)
//	OPTIONS <every path above>  → 204, CORS preflight (see CORS)
//
// The SDK's analytics methods (query.conversations, queryEvents,
// queryFeedback, querySemanticThreads, exportSemanticThreadsQueryResults,
// queryPropertyKeys, queryPropertyValues, topSearchQueries,
// weeklySearchUsers) are Inkeep's own aggregations over its hosted data (a
// select/groupBy/where query language, semantic threads, search
// analytics), which convstore does not compute. They answer any valid key
// 404 with code "not_supported_by_convstore" and a detail that says so and
// names conversations.list and feedback.list, before reading the body. Not
// 501: the SDK retries every 5XX with backoff for up to an hour by
// default; a 4XX it raises at once, as its APIError (statusCode 404, the
// body in its message). A contract test calls each.
//
// Reads need the read scope, logging, feedback and events the write scope,
// DELETE the delete scope; OPTIONS needs no key. Every answer that holds conversations (get, list, the
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
// native id. A conversation's externalId member is another thing (metadata
// "inkeep.externalId", not unique): GET /conversations/external/{externalId}
// answers the newest conversation of the tenant with it, since Inkeep does
// not say which of several answers.
//
// Messages render their native "msg_…" id. The client's own message id is
// kept in message metadata "external_id" (convstore.MessageExternalIDKey),
// which the store indexes across the tenant: POST /feedback and message
// events take either id (a msg_ id first, then the client's id; the newest
// message of the tenant with that client id, since Inkeep's ids are its
// own and unique but a client's need not be), and upserts match either.
// Messages logged before this index existed (migration 0022) keep their
// client id as "inkeep.id" (convstore.LegacyMessageExternalIDKey): it was
// never lost, only sealed with the message where no SQL could index it.
// The store indexes that key as well (convstore.MessageExternalID), and
// migration 0025 lists every conversation stored before it; a background
// backfill at start (resumable, a few conversations per transaction, on
// both engines) opens their messages and indexes those ids, so once it is
// done feedback and message events find them by the client's id too
// (until then they are 422 as unknown). Upserts always matched them. A
// feedback's id is its
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
// this door rendered, or the client's own message id, of any conversation
// of the tenant; the stored messageId is the msg_ id); an unknown or
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
// # Feedback list
//
// GET /feedback reads the tenant's feedback newest first; offset and limit
// (the SDK's default 10) count positive and negative feedback together in
// that one order, and each feedback of the page goes to the array of its
// type, with its conversation and message as the SDK requires. The counts
// are of all the tenant's feedback, which Inkeep's response implies (they
// would repeat the arrays' lengths otherwise); reading them means reading
// every "other" artifact of the tenant (feedback, events and fields), a
// store page at a time. A feedback whose message was deleted through
// another door is counted but left out of the arrays.
//
// # Events
//
// POST /events takes the SDK's InsertEvent: entityType "conversation"
// (conversationId: the id this door renders) or "message" (messageId: a
// msg_ id or the client's message id), type (any string, required), and
// optional id, createdAt, projectId, integrationId, properties and
// userProperties. An unknown or foreign conversationId or messageId is a
// 422, as for feedback. The event becomes an artifact of type "other" of
// its conversation (Text the type, MessageIDs the message, Data
// {"inkeep_event":{…}}), so it is sealed like the conversation's content,
// deleted with it (DELETE, retention, erasure by user, which finds the
// conversation by its userProperties) and never listed by the door's
// conversation answers. Its id is the artifact's "art_…" id; a client id is
// kept as clientId. The answer is the SDK's SelectEvent (projectId and
// integrationId null when absent). Search events (entityType "search")
// name no conversation to keep them with, and carry the user's query: they
// are a 422 rather than stored outside any conversation, where no delete
// would reach them.
//
// # CORS
//
// A tenant allows web origins (PUT /v1/cors, `convstore cors set`). A
// browser's preflight carries no key, so OPTIONS on any of the door's
// paths answers 204 with Allow and, when the request has Origin and
// Access-Control-Request-Method and some tenant allows the origin,
// Access-Control-Allow-Origin (the origin as sent), the path's methods,
// the headers Authorization, Content-Type, Accept, Idempotency-Key and
// X-Request-Id, and Access-Control-Max-Age 600; Vary: Origin whenever
// Origin is sent. An actual request gets Access-Control-Allow-Origin (and
// Access-Control-Expose-Headers) only if its key's tenant allows its
// Origin, including on the door's error answers; 401 and 403 answers,
// written before the tenant is known, get none. Never "*", never
// Access-Control-Allow-Credentials: the key travels in Authorization.
//
// # Deleting
//
// DELETE /conversations/{id} deletes the conversation with its messages,
// feedback, events and other artifacts and attachments through
// Store.DeleteConversation, recording Door "inkeep" in the receipt and
// audit entry. Unknown and foreign ids are the same 404. A later log under
// the deleted conversation's id is a 404 too, and writes nothing: under its
// client id, the tombstone the delete left refuses it (for the store's
// tombstone retention); under a "conv_…" id, which only convstore issues,
// always. An Idempotency-Key makes a retried DELETE answer the first 200.
package inkeep
