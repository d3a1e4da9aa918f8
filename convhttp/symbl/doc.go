// Package symbl is the Symbl.ai wire-compatible door of convstore: the
// Async Text API, the Job API and the Conversation API with their
// documented paths, bodies and error format, so Symbl clients can store,
// read and permanently delete conversations by changing only the base URL.
// It listens on its own listener (--symbl-addr) at "/" and on the main
// listener under "/compat/symbl".
//
// # Endpoints
//
//	POST   /oauth2/token:generate                     200 {accessToken, expiresIn}; 400; 401
//	POST   /v1/process/text                           201 {conversationId, jobId}; 400; 401; 403; 413
//	PUT    /v1/process/text/{conversationId}          201 {conversationId, jobId}; 400; 401; 403; 404; 413
//	GET    /v1/job/{jobId}                            200 {id, status:"completed"}; 401; 403; 404
//	GET    /v1/conversations                          200 {conversations:[…]}; 400; 401; 403
//	GET    /v1/conversations/{conversationId}         200 {id, type, name, startTime, endTime, members, metadata}
//	DELETE /v1/conversations/{conversationId}         200 {"message":"successfully deleted the conversation"}
//	GET    /v1/conversations/{conversationId}/members      {members:[{id, name, email}]}
//	GET    /v1/conversations/{conversationId}/messages     {messages:[…]}
//	GET    /v1/conversations/{conversationId}/topics       {topics:[…]}
//	GET    /v1/conversations/{conversationId}/questions    {questions:[…]}
//	GET    /v1/conversations/{conversationId}/action-items {actionItems:[…]}
//	GET    /v1/conversations/{conversationId}/follow-ups   {followUps:[…]}
//	GET    /v1/conversations/{conversationId}/insights     {insights:[…]}
//	GET    /v1/conversations/{conversationId}/summary      {summary:[{id, text, messageRefs:[{id}]}]}
//
// The lists of messages, insights and conversations are streamed, a store
// page at a time: messages show the conversation up to its newest message
// when the request began (see convhttp.MessagePages), and a store failure
// after the answer began aborts the connection. Members (of the
// conversation list, a conversation and /members) come from the store's
// record of each conversation's authors, not from their messages: the
// conversation list reads them with each store page (a digest with
// DigestOptions.Authors, one read, one round trip on PostgreSQL), a
// conversation and /members with FindAuthors.
//
// Times are ISO 8601: RFC 3339 date-times with any fraction, or plain
// dates (midnight UTC). The door writes UTC with milliseconds.
//
// Every conversation route answers 401, 403 (the key lacks the scope: read
// for GETs, write for the text routes, delete for DELETE) and 404.
//
// # Authentication
//
// A Symbl app id/secret pair is a convstore API key: appSecret is the key
// secret and appId is the key's id ("key_…", as `convstore keys list` and
// GET /v1/keys show it; the server logs the bootstrap key's id on first
// start), which reveals nothing of the secret. Only a matching pair gets a
// token; anything else is 401. POST /oauth2/token:generate with
// {"type":"application","appId","appSecret"} answers {"accessToken",
// "expiresIn":86400}. An optional "expiresIn" (seconds, a positive
// integer) asks for a shorter life; more than 86400 is cut to 86400, the
// most a token gets, and the answer says what was granted.
//
// The access token is opaque: "cst_" and 40 random base-32 characters
// (200 bits), holding neither the key nor its expiry. The store keeps only
// its SHA-256, with its tenant, key and expiry, in the database, so every
// node sharing the database (PostgreSQL) accepts it. Expired tokens are
// refused and removed by the sweeper; revoking the key revokes its tokens
// at once. A key keeps at most 1000 live tokens: a new one beyond that
// retires the key's oldest. Tokens of the stateless format of earlier
// versions ("symbl." + base64 of an expiry and the key secret) are refused.
//
// Calls send "Authorization: Bearer <token>" or Symbl's deprecated
// "x-api-key: <token>" (Bearer wins when both are sent). A raw convstore
// key secret is accepted as the token too, so no token call is needed; a
// key secret that itself starts with "cst_" must go through the token
// call. A missing, malformed, expired or revoked token is 401.
//
// # Ids
//
// conversationId is the conversation's sequence number in decimal
// (Conversation.Seq), message, insight and summary ids are the 128-bit ids
// in decimal: digit strings, like Symbl's. Only canonical decimals (no
// sign, no leading zero) are ids. jobId is the UUID of the first message
// the text request stored; since processing is synchronous (the job is
// complete when the 201 is sent), GET /v1/job/{jobId} answers "completed"
// for any message id of the tenant written as a UUID, and 404 once that
// message is deleted.
//
// # Errors
//
// Every error is application/json {"message": "…"}, as in Symbl's
// documented 400 and 404 answers; a 429 adds "statusCode":429 as Symbl's
// rate-limit answer does. Every conversation route answers a missing,
// malformed, deleted or another tenant's conversation id with 404
// {"message":"The conversationId is either invalid or does not exist."}
// (Symbl's documented delete answer; the status is inferred from Symbl's
// samples, which map 404 to "not found"). Validation errors are 400 with a
// Joi-style message such as `"messages" is required` (Symbl documents no
// 422). Messages that would take a conversation past the server's
// --max-conversation-messages are a 409 naming the cap, with nothing
// stored. A 500 shows only "Internal error.".
//
// # Choices where Symbl's documentation is silent or UNCONFIRMED
//
//   - 401 body: {"message":"Unauthorized. Please generate a new access
//     token."} (the text Symbl's own samples print for a 401), with
//     WWW-Authenticate: Bearer; a wrong app id/secret answers
//     {"message":"Unauthorized: invalid appId or appSecret."}.
//   - Unknown job: 404 {"message":"The jobId is either invalid or does not exist."}.
//   - After a delete every route of the conversation, and its jobs, answer 404.
//   - Processing options (confidenceThreshold, detectPhrases, detectEntities,
//     enableSummary, trackers, entities, customEntities, webhookUrl, …) are
//     accepted with any JSON value and ignored: the door derives no
//     insights and calls no webhooks (the job is complete at once).
//   - Symbl has no roles: every message is stored as a user message, with
//     from.name as its author name and from.userId in message metadata
//     "symbl.userId". When every message of a POST shares one non-empty
//     userId, it becomes the conversation's user id (for erasure by user).
//   - payload.contentType, when given, must be "text/plain"; content must be
//     non-empty. At most 1000 messages per request.
//   - duration.startTime/endTime (ISO 8601) are kept in message metadata
//     ("symbl.startTime", "symbl.endTime", UTC, milliseconds); when only one
//     is given the other equals it. The earliest startTime of the creating
//     POST is the conversation's "symbl.baseTime", and messages at or after
//     it also get native start/end offsets relative to it. A message without
//     times reports its storage time. timeOffset is seconds since the first
//     message's startTime and duration is endTime − startTime, both rounded
//     to 0.01 s. words and phrases are [] and sentiment is omitted.
//   - PUT with a name renames the conversation after storing the messages.
//   - A conversation's startTime/endTime are its creation and last-change
//     times, the times GET /v1/conversations filters on: the startTime and
//     endTime parameters select startTime < created < endTime, endTime
//     defaults to now and startTime to endTime − 7 days (as Symbl
//     documents). limit is 0–65536 (default 20), offset 0–100000, order
//     asc (default) or desc; sort accepts only conversation.startTime, and
//     filter (RSQL) is rejected with 400 as unsupported. Unknown query
//     parameters are ignored.
//   - name defaults to the conversation id, type is always "meeting",
//     metadata shows the conversation's metadata except the door's own
//     "symbl.*" keys.
//   - members are the distinct message authors (by userId, else name) in
//     order of first message; a member's id is the decimal id of its first
//     message (also its messages' from.id) and its email is its userId.
//   - Insights come from the conversation's artifacts: topic, question,
//     action_item, follow_up and summary (insights lists the action_item,
//     question and follow_up artifacts). text is the artifact's text, score
//     its score (1 when it has none), messageIds its message ids in decimal.
//     Symbl's other fields (entities, phrases, from, definitive, assignee,
//     dueBy, sentiment, parentRefs) are taken from the artifact's data
//     object (or its "symbl" member) when they have the right JSON kind,
//     else default to [], {}, false or are omitted (dueBy, sentiment).
//   - Request bodies are decoded leniently (unknown fields ignored, as Symbl
//     SDKs send more) but wrong types, bad JSON, a null body, trailing
//     data, a key repeated in one object and a case variant of a field the
//     door reads are 400, and so is a body without Symbl's mandatory
//     Content-Type: application/json (Symbl documents no 415).
package symbl
