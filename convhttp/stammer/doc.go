// Package stammer is convstore's Stammer.ai-compatible API door: the three
// conversation endpoints of Stammer's white-label API, on the wire as
// Stammer documents them, over convstore's store. Mount it at the root of
// its own listener (serve --stammer-addr) or at "/compat/stammer" on the
// main listener; paths below are relative to the mount point.
//
// # Endpoints
//
//	POST /en/chatbot/api/v1/message/                         scope write   200, 400, 401, 403, 409, 413
//	GET  /en/chatbot/api/v1/conversations/                   scope read    200, 400, 401, 403, 404 (invalid page)
//	POST /en/chatbot/api/v1/conversation/{uuid}/deactivate/  scope delete  200, 401, 403, 404
//
// Any of them can also answer 500 (a store fault) or 503. The list is
// streamed, each conversation as soon as its first page of messages is
// read; a store failure after the answer began aborts the connection.
//
// Route patterns end in "/{$}" so ServeMux matches the documented path
// exactly, not the subtree below it.
//
// # Authentication
//
// "Authorization: Token <api key>" (Django REST framework's
// TokenAuthentication scheme; the scheme word is case-insensitive). A
// missing, malformed, unknown or revoked key is 401 with
// "WWW-Authenticate: Token" and one message for all four (UNCONFIRMED by
// Stammer: a DRF-style 401 is the inference from the scheme); a key without
// the route's scope is 403.
//
// # Ids
//
// A conversation's uuid is convstore's 128-bit id in canonical UUID form
// (conv.ID.UUID(); it is a UUIDv7). Path uuids are accepted in either case,
// and anything else that is not a canonical UUID, a foreign tenant's uuid
// and an unknown one all answer the same 404. chatbot_uuid is stored,
// lower-cased, as the conversation's AgentID and user_key as its UserID;
// body and query chatbot_uuid values may also be 32 bare hex digits, as in
// DRF's UUIDField.
//
// # Errors
//
// Every error, including the server's 404/405 for unknown paths and
// methods, is application/json:
//
//	{"detail": "...", "message": "...", "error": "not_found", "field": "query", "request_id": "req_..."}
//
// Stammer's error body is UNCONFIRMED; its samples read body.message, else
// body.error, so both are always present: "message" (and DRF's "detail")
// hold the same human-readable text, "error" a stable machine code
// (invalid, parse_error, not_authenticated, permission_denied, not_found,
// method_not_allowed, request_too_large, conflict, throttled,
// service_unavailable, not_supported, server_error). "field" names the body
// field or query parameter at fault when there is one. Validation errors are
// 400, as DRF answers them (not 422); a 500 says only "Internal error.".
//
// # Choices where Stammer's documentation is silent or UNCONFIRMED
//
// Message (POST …/message/). Body {chatbot_uuid, query, user_key,
// custom_base_system_prompt?}; a body that is not application/json is DRF's
// 415 (error "unsupported_media_type"), unknown fields are ignored, and
// malformed JSON, a null body, a key repeated in one object or a case
// variant of a field the door reads (which encoding/json would take) are
// 400 parse_error naming the key; wrong types are 400. query must
// be non-blank and "under 5000 characters" as documented (at most 4999
// Unicode code points); user_key non-blank and at most 211
// bytes (the rest of the 256-byte ExternalID holds "stammer:<uuid>:"). The
// door gets or creates the conversation with ExternalID
// "stammer:<chatbot_uuid>:<user_key>" and appends the query as a user
// message; a new conversation is created together with its first message,
// with metadata stammer.source_platform = "API". After the conversation is
// deactivated (deleted) the next message for the same user_key starts a new
// conversation. custom_base_system_prompt is kept in the user message's
// parts as {"stammer":{"custom_base_system_prompt":…}} so it is deleted with
// the query it steered; it is not echoed back. The response shape is
// UNCONFIRMED; the door answers 200 with
//
//	{"conversation_uuid", "chatbot_uuid", "user_key", "query", "answer": null, "new_conversation", "created_at"}
//
// answer is always null: convstore stores conversations and generates no
// replies. 409 if the conversation holds the server's most messages
// (--max-conversation-messages; field "messages"), or if it is created and
// deleted concurrently three times in a row.
//
// List (GET …/conversations/). Parameters are read from the query string as
// Stammer's sample sends them; unknown parameters are ignored and an empty
// value counts as absent.
//   - onlyDeletedConversations is required (DRF boolean spellings:
//     true/false, True/False, 1/0, yes/no, on/off, …); missing or invalid is
//     400. true lists the deactivated conversations still within the
//     tenant's restore window (PUT /v1/retention restore_window_days; none
//     when it is 0, the default: deletes are then final), each with
//     is_deleted true and no messages (hidden until restored through the
//     native POST /v1/conversations/{id}/restore).
//   - chatbot_uuid filters by AgentID. chatbot_id (Stammer's integer id)
//     has no convstore equivalent and is refused with a clear 400 rather
//     than silently matching nothing; giving both is also 400.
//   - startDate/endDate are YYYY-MM-DD whole UTC days, both inclusive;
//     startDate later than endDate is 400.
//   - sourcePlatform must be one of Stammer's choices (none, whatsapp,
//     facebook, instagram, dashboard, embeded, shared, personalized, API,
//     AUDIO, masterchat; case-sensitive) and matches the
//     stammer.source_platform metadata: conversations created by this door
//     are "API"; conversations created through other doors have none and
//     are not listed when sourcePlatform is given.
//   - conversation_number is the conversation's convstore sequence number
//     (the Symbl door's conversation id), shown in every result as a JSON
//     integer, as Stammer documents it (int). Stammer's own numbering is
//     UNCONFIRMED; convstore's numbers are unique across tenants, so they
//     do not count a chatbot's conversations 1, 2, 3. Numbers of
//     conversations created since numbers were bounded are at most
//     2^53-1 (convstore.MaxSeq), the largest integer a JavaScript number
//     holds exactly, so a client that reads them with res.json() and sends
//     them back as conversation_number finds the conversation (a contract
//     test does exactly that). Conversations created by earlier versions
//     keep their 63-bit numbers (up to 2^63-1): renumbering them would
//     change the ids Symbl clients hold. JavaScript rounds those: res.json()
//     reads the nearest double, and String() prints its shortest decimal
//     (2^62+1 is sent back as 4611686018427388000). So a filter by a number
//     above 2^53-1 first matches exactly; when no conversation has that
//     exact number and the text is exactly JavaScript's form of a double
//     (its shortest decimal, up to 9223372036854776000, what 2^63-1 rounds
//     to), it lists every conversation whose number rounds to that double
//     (round to nearest, ties to even, as JavaScript parses). Usually that
//     is one; numbers at most 1024 apart can round alike, and then all of
//     them are listed (count says how many), each with its uuid, which is
//     what a client should keep: a list answers a filter with every match
//     rather than refusing it (no 409). An exact number that is not
//     JavaScript's form of a double (a client with big-integer parsing)
//     never matches a neighbour. Any other number above 2^63-1 is 400. A
//     contract test (testdata/sdk/legacy.mjs) lists such conversations
//     with fetch and res.json() and finds each by the number it read.
//   - Pagination is UNCONFIRMED; the door uses DRF's PageNumberPagination:
//     {"count", "next", "previous", "results"}, page (1-based, or "last")
//     and page_size (default 20, capped at 100; an invalid one falls back
//     to 20), newest conversations first. next/previous are absolute URLs
//     with the query sorted, as DRF builds them. A page past the end or a
//     malformed page is DRF's 404 {"detail": "Invalid page."}; pages that
//     start beyond 100000 conversations are 400 (narrow by date).
//   - Each result: uuid, conversation_number, chatbot_uuid, user_key,
//     source_platform (null when unset), is_deleted (true only in the deleted list),
//     created_at, updated_at (DRF ISO 8601, UTC, microseconds),
//     message_count, messages (the first 100, oldest first, each {role,
//     content, created_at} with convstore's roles user, assistant, system,
//     tool) and messages_truncated.
//
// Deactivate (POST …/conversation/{uuid}/deactivate/). Stammer's verb
// suggests a soft delete, which is what it is under a tenant restore window
// (the conversation is hidden, restorable until the receipt's
// restorable_until); without one convstore deletes permanently: the
// conversation, its messages, artifacts and attachments are removed through
// Store.DeleteConversation, which writes a receipt and an audit entry with
// door "stammer". Any request body (none, {} or anything else) is ignored.
// Success is 200 (Stammer's sample accepts 200/201/202) with
//
//	{"message": "Conversation deleted successfully.", "uuid": "…", "deleted": true, "receipt_id": "del_…"}
//
// where receipt_id is the native id of the deletion receipt
// (GET /v1/deletions/{id} on the native API). A second deactivation is 404.
//
// Trailing slashes. Only the documented paths, with their trailing slash,
// are routes. A request that omits the slash on a path whose slashed form
// is a route for that method gets ServeMux's 307 redirect to the slashed
// path (query kept). Django's APPEND_SLASH would answer 301, after which
// clients re-send a POST as a GET; 307 keeps the method and body, so a
// client that follows redirects still succeeds. Any other unknown path,
// including one below a documented path, is the door's 404, and a known
// path with another method is the door's 405 with Allow.
package stammer
