// Package botpress is the Botpress Runtime (chat) API door of convstore:
// the conversation, message, user and participant methods of
// https://api.botpress.cloud/v1/chat, wire-compatible with the official
// @botpress/client SDK (new Client({apiUrl, token, botId}); contract test
// testdata/sdk with @botpress/client 1.45.0).
//
// # Endpoints
//
// Paths are relative to the mount point: the door's own listener
// (--botpress-addr) serves them at the root, the main listener under
// /compat/botpress. Every success is 200 with Content-Type application/json.
//
//	POST   /v1/chat/users                        {user}                      (write)
//	POST   /v1/chat/users/get-or-create          {user, meta:{created}}      (write)
//	GET    /v1/chat/users                        {users, meta:{nextToken?}}  (read)
//	GET    /v1/chat/users/{id}                   {user}                      (read)
//	PUT    /v1/chat/users/{id}                   {user}                      (write)
//	DELETE /v1/chat/users/{id}                   {}                          (delete)
//	POST   /v1/chat/conversations                {conversation}              (write)
//	POST   /v1/chat/conversations/get-or-create  {conversation, meta:{created}} (write)
//	GET    /v1/chat/conversations                {conversations, meta:{nextToken?}} (read)
//	GET    /v1/chat/conversations/{id}           {conversation}              (read)
//	PUT    /v1/chat/conversations/{id}           {conversation}              (write)
//	DELETE /v1/chat/conversations/{id}           {}                          (delete)
//	POST   /v1/chat/conversations/{id}/participants          {participant}   (write)
//	GET    /v1/chat/conversations/{id}/participants          {participants, meta:{nextToken?}} (read)
//	GET    /v1/chat/conversations/{id}/participants/{userId} {participant}   (read)
//	DELETE /v1/chat/conversations/{id}/participants/{userId} {}              (write)
//	POST   /v1/chat/messages                     {message}                   (write)
//	POST   /v1/chat/messages/get-or-create       {message, meta:{created}}   (write)
//	POST   /v1/chat/messages/import-messages     {messages}                  (write)
//	GET    /v1/chat/messages?conversationId=…    {messages, meta:{nextToken?}} (read)
//	GET    /v1/chat/messages/{id}                {message}                   (read)
//	PUT    /v1/chat/messages/{id}                {message}                   (write)
//	DELETE /v1/chat/messages/{id}                {}                          (delete)
//	POST   /v1/chat/initialize-incoming-message  {user, conversation, message?} (write)
//
// DELETE /v1/chat/conversations/{id} deletes the conversation with its
// messages, artifacts and attachments for good and writes a receipt whose
// Door is "botpress". DELETE requests may carry a body (the SDK sends `{}`
// as application/json); it is ignored, as is its absence. After a delete,
// a get-or-create whose key matched the deleted conversation is 404
// ResourceNotFound and creates nothing (its tombstone holds the key for the
// store's tombstone retention), so a late event cannot bring it back. An
// Idempotency-Key makes a retried DELETE answer the first {}.
//
// # Authentication and the bot
//
// "Authorization: Bearer <convstore API key>"; a missing, wrong or revoked
// key is 401 Unauthorized, a key without the route's scope 403 Forbidden.
// Every route also requires the x-bot-id header (1 to 256 bytes); without it
// the answer is 400 InvalidPayload "x-bot-id header is required." (Botpress
// documents the header as required but not the error; 400 is what it uses
// for any invalid request). The bot is the conversation's AgentID: a
// conversation of another bot, like another tenant's, an unknown or a
// malformed id, answers the same 404 ResourceNotFound, byte for byte apart
// from the error id. The optional x-integration-alias, else x-integration-id,
// else the body's integrationName is recorded as the integration of the
// conversations a request creates.
//
// # Ids and times
//
// Conversation ids are native "conv_" + 26 base-32 characters (31
// characters, within Botpress's documented 28–36); message ids are native
// "msg_…"; user ids "user_" + 26 base-32 characters. nextToken is the id of
// the last item of the page (with sortField=updatedAt, "<id>.<updatedAt in
// Unix microseconds>"; for participants, a user id), opaque to clients.
// Times are ISO-8601 UTC with milliseconds ("2024-01-31T12:00:00.000Z"); a
// message's updatedAt is its createdAt until PUT updates it.
//
// # Errors
//
// Every error is {"id":"err_<26 base-32>","code":<status>,"type":"<Type>",
// "message":"…"} with Content-Type application/json, the format of the SDK's
// errors.ts, which turns any other body into an UnknownError with code 500.
// Types: 400 InvalidPayload (bad JSON, a null body, a key repeated in one
// object or a case variant of a member the door reads, wrong member types,
// validation: the native 422; unknown members are ignored), 415
// UnsupportedMediaType (a body that is not application/json), 400 InvalidQuery (query parameters), 401 Unauthorized, 403
// Forbidden, 404 ResourceNotFound (also unknown paths under the mount), 405
// MethodNotFound (Botpress's 405 type; with an Allow header), 409
// AlreadyExists, 413 PayloadTooLarge (body over the server limit, or a
// message payload over 256 KiB), 413 LimitExceeded (a message to a
// conversation that holds the server's most messages, its
// --max-conversation-messages), 429 RateLimited, 500 Internal ("An internal
// error occurred.", never details). Botpress has no 501 or 503 type: those
// statuses use type Internal so the SDK still raises a typed error.
//
// # Storage mapping
//
// A conversation's channel, integration, tags and properties are metadata
// pairs "botpress.channel", "botpress.integration", "botpress.tag.<k>" and
// "botpress.prop.<k>". convstore allows 16 metadata pairs, so a conversation
// holds at most 14 tags and properties together (15 without an
// integration); more is 400 InvalidPayload saying so. Tag names are at most
// 51 bytes, property names 50, values 512. A message keeps its payload
// object in Message.Parts, payload.text (when a string) as its Content,
// userId as AuthorName, and type, origin and tags as "botpress.type",
// "botpress.origin" and "botpress.tag.<k>" (at most 14 or 15 tags), and
// the time of its last update as "botpress.updatedAt".
//
// Users are end-user records of their own (convstore.EndUser, the
// store's EndUserService), never conversations: no conversation list,
// count, event, retention policy or export shows them. The record's
// UserID is the user id (so the end-user erasure of that id, POST
// /v1/erasures {"selector":{"user_id":"user_…"}}, deletes the user, and a
// legal hold on it keeps the user), its Name the name (at most 512
// bytes), its metadata the bot ("botpress.bot"), the pictureUrl
// ("botpress.picture", at most 512 bytes), the integration, and tags,
// properties and attributes ("botpress.tag.", "botpress.prop.",
// "botpress.attr."; together at most 13 or 14). It is sealed under a data
// key of its own and deleted with that key, a receipt (kind "end_user")
// and an audit entry (end_user.delete). Users stored before migration
// 0023 as conversations of the reserved agent "botpress.users" were moved
// to records with the same ids and keys; the agent id stays reserved.
//
// A conversation's participants are its metadata pairs
// "botpress.participant.<user id>" = "1", sharing the conversation's 16
// pairs with its channel, integration, tags and properties, and deleted
// with it; a participant whose user record is gone is not listed.
//
// # Choices where Botpress is silent or UNCONFIRMED
//
//   - Success status: 200 for creates too, as Botpress's OpenAPI declares
//     only 200 responses. Delete answers {} (schema and SDK type), not the
//     deleted conversation the page text mentions.
//   - Users: get-or-create keys on the bot, the integration and the
//     discriminating tags (a deleted user's key names a new user, with a
//     new id). PUT merges tags, properties and attributes; name or
//     pictureUrl null or "" removes it. listUsers sorts and ranges on
//     createdAt only (sortField or rangeField updatedAt is 400
//     InvalidQuery); with conversationId it lists that conversation's
//     participants (tags and dates still filter). Deleting a user leaves
//     the conversations it took part in; they stop listing it.
//   - Participants: only users of the bot may be added (another is 404);
//     adding one twice answers it again. The first participant of a
//     conversation without an end user becomes its UserID, so that erasing
//     the user erases the conversation; removing the participant keeps it.
//     listParticipants is by user id; a participant whose user was deleted
//     is skipped.
//   - Message updates (PUT): tags merge (null or "" removes one), a payload
//     replaces the stored one; type, userId, direction and createdAt never
//     change. A conversation under a legal hold refuses it (409
//     ResourceLockedConflict): an update rewrites what a hold keeps.
//   - getOrCreateMessage: the conversation's newest message of the same
//     userId and type whose discriminating tags (discriminateByTags, else
//     every non-empty tag; an absent tag counts as empty) have the
//     request's values; with no discriminating tag the payload must be
//     equal too, so a retried call finds its message. It reads the
//     conversation's messages newest first (at worst all of them, bounded
//     by --max-conversation-messages). Calls on one conversation take
//     turns within one server process; two servers on one PostgreSQL
//     database may both create.
//   - Message direction: a message whose userId equals x-bot-id is outgoing
//     (role assistant), as Botpress bots reply with their own id; any other
//     is incoming (role user). Messages written outside this door show
//     direction outgoing for every role but user.
//   - Records made outside this door: a conversation without botpress.*
//     metadata shows channel "" and integration "" (so no channel filter
//     matches it) and only the bot's conversations are visible at all (an
//     empty AgentID belongs to no bot). Such a message shows type "text",
//     payload {"text": content}, and userId = AuthorName, else the
//     conversation's AgentID (outgoing) or UserID (incoming).
//   - Tags and properties: null or "" removes a key (Botpress's documented
//     semantic); PUT merges given keys and leaves absent ones. tags is
//     required on creates, as in Botpress's schema. currentTaskId
//     (deprecated) is accepted and ignored; schedule is accepted and ignored
//     (messages are stored at once); origin may only be "synthetic".
//   - get-or-create: without discriminateByTags every non-empty tag
//     discriminates, with it only the listed ones (a listed tag that is
//     absent counts as empty) — Botpress's documented rule. The key is
//     ExternalID "botpress:" + SHA-256 hex of [bot, channel, integration,
//     sorted discriminating tags] (hashed so it fits 256 bytes), which makes
//     concurrent calls race-safe (a losing create finds the winner). An
//     existing conversation gets the request's tags and properties merged
//     in. Limitation: the key is fixed at creation, so a conversation made
//     by plain POST /conversations, or whose discriminating tags were later
//     changed by PUT, is matched on its original get-or-create tags only.
//   - initializeIncomingMessage: the user (userId, else the get-or-create
//     of user), the conversation (conversationId, else the get-or-create of
//     conversation), the user made a participant (as addParticipant), then
//     the get-or-create of message, incoming from the user. The body is
//     validated whole before anything is written; each step then commits
//     on its own (a failure leaves the steps before it done, and a retry
//     finds them).
//   - importMessages: at most 100 messages per request, each a
//     get-or-create (discriminateByTags as for getOrCreateMessage) that
//     keeps its createdAt ("botpress.createdAt"), shown as createdAt and
//     updatedAt and used by listMessages' date filters; messages are listed
//     in the order stored, not by that time. Every message is validated
//     before any is written.
//   - List conversations: newest first by default (as Botpress's API is
//     observed to answer); sortField createdAt or updatedAt (then by id);
//     sortDirection asc|desc; pageSize default 20, values over 100 are
//     served 100 per page; filters channel, integrationName, tags.<k>=v
//     (also tags[k]=v), participantIds (repeated: conversations with every
//     one), minMessageCount/maxMessageCount (inclusive), afterDate/
//     beforeDate (ISO-8601, on createdAt as shown, in milliseconds,
//     exclusive), all applied by the store's query; unknown parameters are
//     ignored; a repeated one is 400 InvalidQuery.
//   - List messages: conversationId is required (400 InvalidQuery without
//     it: convstore lists messages per conversation); newest first; an
//     unknown or deleted conversation is 404 ResourceNotFound rather than an
//     empty list. tags.<k>=v, afterDate and beforeDate filter (as for
//     conversations). Message tags are sealed, so the door filters the
//     opened messages: one request reads at most 10 store pages (1,000
//     messages) and, when they hold fewer matches than pageSize, answers
//     those with a nextToken to go on from.
//   - POST /v1/chat/messages with an unknown conversationId is 404
//     ResourceNotFound (not 400 ReferenceNotFound), so every way of naming a
//     missing conversation answers alike.
package botpress
