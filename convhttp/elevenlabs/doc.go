// Package elevenlabs is convstore's ElevenLabs-compatible door: the
// conversation-history part of the ElevenLabs Agents Platform (ConvAI) API,
// wire-compatible with the official SDKs (@elevenlabs/elevenlabs-js,
// elevenlabs-python), which validate every required key of their response
// models. It is mounted at the root of its own listener and at
// /compat/elevenlabs on the main one.
//
// # Endpoints
//
//	GET    /v1/convai/conversations                         200 list page; 401, 422
//	GET    /v1/convai/conversations/messages/text-search    200 search page; 401, 422
//	GET    /v1/convai/conversations/{conversation_id}       200 conversation; 401, 404, 422
//	GET    /v1/convai/conversations/{conversation_id}/audio 200 audio bytes; 401, 404
//	GET    /v1/convai/conversations/{conversation_id}/summary 200 summary; 401, 404, 422
//	POST   /v1/convai/conversations/{conversation_id}/feedback 200 null; 401, 404, 415, 422
//	GET    /v1/convai/conversations/{conversation_id}/sip-messages 200 empty page; 401, 404, 422
//	POST   /v1/convai/conversations/{conversation_id}/files 200 {file_id}; 401, 404, 413, 422
//	DELETE /v1/convai/conversations/{conversation_id}/files/{file_id} 200 {file_id}; 401, 404
//	DELETE /v1/convai/conversations/{conversation_id}       200 null; 401, 404
//	GET    /v1/convai/users                                 200 users page; 401, 422
//	GET    /v1/convai/tags                                  200 tags page; 401, 422
//	POST   /v1/convai/tags                                  200 tag; 401, 415, 422
//	GET    /v1/convai/tags/{tag_id}                         200 tag; 401, 404
//	PATCH  /v1/convai/tags/{tag_id}                         200 tag; 401, 404, 415, 422
//	DELETE /v1/convai/tags/{tag_id}                         200 null; 401, 404
//	POST   /v1/convai/conversations/{conversation_id}/tags  200 null; 401, 404, 415, 422
//	DELETE /v1/convai/conversations/{conversation_id}/tags/{tag_id} 200 null; 401, 404
//
// GET routes also answer HEAD. Scopes: reads need "read", feedback, file
// uploads, creating and changing tags and attaching and detaching them
// "write", the other DELETEs "delete". These are the SDK's
// conversations.list, messages.textSearch, get, audio.get, getSummary,
// getSipMessages, feedback.create, files.create, files.delete, delete,
// tags.list, create, get, update, delete, assign and unassign, and
// conversationalAi.users.list; a contract test runs each of them with
// @elevenlabs/elevenlabs-js 2.73.0
// against the door. getSipMessages always answers an empty page
// ({"sip_messages":[],"next_cursor":null,"has_more":false}; page_size
// 1..100 and cursor are validated, then unused): convstore receives no
// telephony signalling.
//
// # Not served by nature: 501 not_supported_by_convstore
//
// The SDK's other conversation-namespace methods need what convstore does
// not hold or do: it stores conversations; it runs no agents, no LLM
// analysis and no embedding search. Rather than a
// bare 404 (which an SDK user reads as a wrong id), each answers 501 with
// detail.status "not_supported_by_convstore" and a message that says why
// and what to use instead; the SDK raises ElevenLabsError with statusCode
// 501 and that body (its message reads "Status code: 501" and the body).
// Any valid key gets the answer, before any id is read, so every id and
// tenant gets the same; a bad key is still 401. The JS SDK retries a 5xx
// twice by default (maxRetries, with a second or two of backoff) before
// it raises the error: harmless, and 501 is the status that says what
// happened (a 404 would read as a wrong id, a 400 as a wrong request).
//
//	GET    /v1/convai/conversation/get-signed-url  getSignedUrl: a live agent's signed URL
//	GET    /v1/convai/conversation/token           getWebrtcToken: a live agent's WebRTC token
//	GET    /v1/convai/conversations/resolve        resolve: Slack/Zendesk reference → ElevenLabs id
//	GET    /v1/convai/conversations/messages/smart-search  messages.search (semantic)
//	POST   …/{conversation_id}/analysis/run, …/analysis/evaluations/run  analysis.run, runEvaluation
//	GET    /v1/convai/agents/{agent_id}/topics     topics.get (LLM topic discovery)
//
// Analyses and evaluation results are served when stored: post them as an
// "analysis" artifact through the native API and conversations.get shows
// them (see Analysis).
// topics.get returns "the latest topic discovery run results": ElevenLabs'
// daily LLM runs that cluster an agent's conversations into a hierarchy of
// topics it labels and describes (topic_id, label, description,
// parent_topic_id, 2-D map coordinates x_2d/y_2d, sentiment and
// evaluation metrics, aggregated_run_count over the window's daily runs).
// The topic artifacts convstore stores (through the Symbl door or the
// native API) are per-conversation phrases, not such clusters: counting
// them by text would pass a list of raw phrases off as discovered topics,
// with no description, hierarchy or coordinates. So it stays 501, and the
// message points to the stored topics: GET
// /v1/conversations/{id}/artifacts?type=topic (native) or GET
// /v1/conversations/{conversationId}/topics (Symbl door).
//
// GET of a conversation streams its transcript a store page at a time, so
// it holds one page however long the call: it shows the messages up to the
// newest one when the request began (see convhttp.MessagePages), and a
// store failure after the answer began aborts the connection.
// Nothing else is served: ElevenLabs has no REST create (its conversations
// come from the agent WebSocket, WebRTC or telephony), and this door does
// not invent one.
//
// # How conversations get here
//
// Through the native API (or any other door) of the same store, for example:
//
//	POST /v1/conversations  {"agent_id":"agent_1","user_id":"u1","title":"Billing call",
//	    "metadata":{"elevenlabs.agent_name":"Support"},
//	    "messages":[{"role":"assistant","content":"Hi!","start_offset_ms":0,"end_offset_ms":1200},
//	                {"role":"user","content":"My bill…","start_offset_ms":1500,"end_offset_ms":4200}]}
//	PUT  /v1/conversations/{id}/attachments/audio.mp3   (Content-Type: audio/mpeg, raw bytes)
//	POST /v1/conversations/{id}/artifacts  {"type":"summary","text":"The caller asked about a bill."}
//	POST /v1/conversations/{id}/artifacts  {"type":"analysis","data":{"call_successful":"success",
//	    "call_summary_title":"Bill question","evaluation_criteria_results":{…},"data_collection_results":{…}}}
//
// # Auth
//
// The xi-api-key header carries a convstore API key. A missing, unknown or
// revoked key is 401 {"detail":{"status":"invalid_api_key","message":"Invalid
// API key"}}; ElevenLabs' answer to a missing key is UNCONFIRMED, so it gets
// the same answer. A key without the route's scope is 401 (not 403, as
// ElevenLabs reports for keys lacking a permission) with status
// "missing_permissions".
//
// # Ids
//
// conversation_id is the native id "conv_<26 base32>", so ids are the same
// in every door that uses native ids. agent_id is the conversation's
// AgentID and user_id its UserID. ElevenLabs path ids are plain strings, so
// a malformed id is the not-found answer (never 422), identical to an
// unknown id and to another tenant's id.
//
// # Errors
//
// Every error is application/json. 422 bodies are FastAPI/pydantic lists,
// {"detail":[{"type","loc","msg","input"?,"ctx"?}]} with loc such as
// ["query","page_size"]; every other error is
// {"detail":{"status","message"}}. ElevenLabs' body for an unknown
// conversation is UNCONFIRMED; its other 404s name the resource
// ("voice_not_found"), so this door answers 404 status
// "conversation_not_found", message "A conversation with the given
// conversation_id was not found." (never echoing the id, so unknown, foreign
// and malformed ids answer byte-for-byte alike). Other statuses:
// audio_not_found (404, conversation without audio), tag_not_found (404,
// see Tags), not_found (unknown
// path), method_not_allowed (405), payload_too_large (413), conflict (409),
// too_many_requests (429), service_unavailable (503), not_implemented (501)
// and internal_error (500, message "Internal error." only). FastAPI's own
// 404/405 bodies are plain strings ({"detail":"Not Found"}); this door uses
// the object form for them too, so clients can always read detail.status.
//
// # List: GET /v1/convai/conversations
//
// Answers {conversations, next_cursor (string or null), has_more}. Supported
// parameters: cursor, page_size (1..100, default 30), agent_id, user_id,
// call_successful (success|failure|unknown), call_start_before_unix and
// call_start_after_unix (Unix seconds, both exclusive, compared with the
// conversation's creation time in whole seconds, which is
// start_time_unix_secs; inclusive or exclusive is UNCONFIRMED), call_duration_min_secs and
// call_duration_max_secs (inclusive), exclude_statuses (every stored
// conversation is "done", so excluding "done" gives an empty page),
// sort_direction (asc|desc, default desc, by creation = call start) and
// summary_mode (include|exclude). The default of summary_mode is
// UNCONFIRMED; this door includes transcript_summary unless it is
// "exclude". data_collection_ids, evaluation_criteria_ids and
// include_invalid_tool_calls only shape optional output and are accepted
// and ignored. tag_ids (repeatable, at most 100) keeps the conversations
// carrying every tag named (see Tags). Every other documented filter
// (search, tool_names, rating_min, branch_id, …) is rejected with 422 type "value_error":
// ignoring a filter would silently return more than asked for, which is
// dangerous for a script that deletes what a list returns. Undocumented
// parameters are ignored and a repeated parameter takes its last value, as
// FastAPI does. Bad values are 422 in pydantic's words (int_parsing,
// greater_than_equal, less_than_equal, enum); a cursor that is not a
// conversation id is 422 value_error.
//
// The cursor is opaque to clients: the native id of the last conversation
// the page examined. call_successful, the duration bounds and tag_ids are applied
// after loading, so a page may scan up to 1000 conversations; if that
// bound is reached before the page is full, the page ends early with
// has_more true and a cursor that continues the scan.
//
// Summary fields: agent_id, conversation_id, start_time_unix_secs (the
// conversation's creation time), call_duration_secs, message_count (all
// stored messages, system ones included), status "done", call_successful
// ("unknown" without an analysis artifact), and when known agent_name
// (metadata "elevenlabs.agent_name"), direction ("elevenlabs.direction"),
// transcript_summary and call_summary_title (the analysis value, else the
// conversation title), and tag_ids (the conversation's tags, oldest
// attachment first; [] for none). rating and the per-summary result maps
// are never sent.
//
// # Users: GET /v1/convai/users
//
// The SDK's conversationalAi.users.list: the distinct user ids of the
// tenant's conversations (those without a user id are left out), as
// GetConversationUsersPageResponseModel {users, next_cursor (omitted on the
// last page), has_more}. Each user (ConversationUserResponseModel) has
// user_id, conversation_count (its conversations the filters select),
// first_contact_unix_secs and last_contact_unix_secs (the creation times,
// in whole seconds, of the oldest and newest of them, as
// start_time_unix_secs in the list), and, from its newest conversation,
// last_contact_conversation_id, last_contact_agent_id (when set) and
// last_contact_agent_name (metadata "elevenlabs.agent_name"). sentiment is
// required: convstore scores no sentiment, so its eight counts are 0 and
// its averages are absent; most_frustrated_conversations is never sent.
//
// Parameters: agent_id (exact), search (the SDK's "Search/filter by user
// ID (exact match)": one user, looked up by its blind index; empty means
// none), call_start_before_unix and call_start_after_unix (as in the
// list), page_size (1..100, default 30), sort_by (last_contact_unix_secs,
// the default, or conversation_count; average_sentiment_score is 422
// value_error, there being no scores to sort by), sort_direction (default
// desc) and cursor. Ties are broken by the newest conversation's id. The
// cursor is opaque ("last.<microseconds>.<conv id>" or
// "count.<n>.<conv id>": the sort key and newest conversation of the
// page's last user) and only valid for the sort_by it was given for (422
// otherwise); a cursor past every user is an empty page. branch_id is 422
// value_error: convstore conversations have no branches. Bad values are
// 422 in pydantic's words, every failure in one list.
//
// User ids are sealed at rest. The store groups the selected
// conversations by the blind index of their user id in one query per page
// (no content is opened to group or count them) and opens one conversation
// per user listed, its newest, to read the user id. The query aggregates
// every selected conversation of the tenant, so a page's cost grows with
// them, but as an indexed scan, never a decryption. While an operator's
// re-index of the tenant's blind indexes runs, a user whose conversations
// sit under two index roots is listed once per root (and a user whose
// conversations predate sealing and were not yet upgraded, once for
// those) until it ends.
//
// # Message search: GET /v1/convai/conversations/messages/text-search
//
// The SDK's messages.textSearch: a keyword search over the tenant's
// stored transcripts. Content is sealed at rest (per-conversation keys,
// no plaintext in any file), so there is no plaintext index to ask, and
// a keyed-hash word index would leak word equality within a tenant and
// cost a write per word on every append. This door does a bounded
// decrypt-and-scan instead: each request opens the tenant's conversations
// newest first (by creation, as agent_id, user_id, call_start_before_unix
// and call_start_after_unix narrow them, read as in the list) and their
// messages oldest first, and stops after 500 conversations or 20000
// messages, whichever comes first. Nothing is kept between requests, so a
// deleted conversation is never found again.
//
// text_query (required, at most 1000 bytes) is split into words of
// letters and digits (1..32 words, else 422); a transcript message matches
// when its text holds every word, case-insensitively and as a substring
// ("refund" finds "Refunds"). There is no fuzzy (edit-distance) matching.
// Results are MessagesSearchResult: conversation_id, agent_id, agent_name
// (when set), transcript_index (the message's index in GET's transcript,
// which leaves out system messages; system messages are never searched),
// chunk_text (the whole message: no chunking), chunk_highlights (chunk_text
// cut into segments, is_hit on the matched words), score (the share of the
// message's words that hold a query word, in (0,1]: not ElevenLabs'
// score) and conversation_start_time_unix_secs.
//
// sort_by "created_at" (this door's default; ElevenLabs' is UNCONFIRMED):
// newest conversation first, each conversation's matches in transcript
// order. A page ends when page_size (1..50, default 20) results are found;
// when the bound is reached first the page ends early with has_more true
// and a next_cursor that continues the scan, so paging always reaches
// every match. sort_by "search_score": the highest score first (ties in
// created_at order); ranking needs every match, so a search covering more
// than the bound is 422 at ["query","sort_by"] saying to narrow it or sort
// by created_at; pages are ranks of the same ranked list (a write between
// pages can shift it). Cursors are opaque and only valid for the sort_by
// they were given for (422 otherwise). exclude_statuses containing "done"
// gives an empty page; summary_mode and include_invalid_tool_calls are
// accepted and ignored; every other documented filter is 422 value_error,
// as in the list.
//
// # Conversation: GET /v1/convai/conversations/{conversation_id}
//
// Sends every key the SDKs require: agent_id, conversation_id, status
// ("done"), metadata {start_time_unix_secs, call_duration_secs,
// main_language? and termination_reason? from metadata
// "elevenlabs.main_language" / "elevenlabs.termination_reason", feedback
// (see Feedback)},
// transcript, analysis (null when the conversation has neither a summary
// nor an analysis artifact), has_audio, has_user_audio, has_response_audio
// and has_auxiliary_audio, tag_ids (as in the list), plus user_id and
// agent_name when set.
// conversation_initiation_client_data is not stored and never sent. The
// query parameter format accepts "json"; "opentelemetry" is 422.
//
// Transcript: every message oldest first except system messages
// (ElevenLabs transcripts never show the system prompt); role "user" for
// user messages and "agent" for assistant and tool messages; message is the
// text content (null for parts-only messages); tool_calls and tool_results
// are always empty lists; time_in_call_secs is the message's start offset
// in whole seconds, truncated (0 without one). It is an integer because
// the Python SDK declares it int (the JS SDK accepts any number).
//
// call_duration_secs (list and get alike) is the last message's end
// offset, else its start offset, else the seconds from the conversation's
// creation to its last update, truncated to whole seconds.
//
// Analysis, from the newest artifact of each type: transcript_summary is
// the "summary" artifact's text, else the "analysis" artifact's data
// member "transcript_summary", else its text, else ""; call_successful is
// the analysis data's value when valid, else "unknown";
// call_summary_title is the analysis data's string, else the conversation
// title; evaluation_criteria_results and data_collection_results (always
// objects, {} when absent) come from the analysis data, each entry
// completed with the keys the SDKs require (criteria_id or
// data_collection_id = its key, rationale "", result "unknown"); entries
// that are not objects are dropped.
//
// # Audio: GET /v1/convai/conversations/{conversation_id}/audio
//
// Streams one audio attachment (content type audio/*) with its stored
// Content-Type and Content-Length: the oldest named "audio" or
// "audio.<ext>", else the oldest audio attachment not named user_audio*,
// response_audio* or auxiliary_audio*, else the oldest audio attachment.
// has_audio is true exactly when this finds one. has_user_audio,
// has_response_audio and has_auxiliary_audio are true when an audio
// attachment's name starts with user_audio, response_audio or
// auxiliary_audio; those tracks are not served by this door (the native
// API serves every attachment). No audio: 404 audio_not_found.
//
// # Feedback: POST /v1/convai/conversations/{conversation_id}/feedback
//
// Body ConversationFeedbackRequestModel, {"feedback": "like"|"dislike"}, as
// application/json. ElevenLabs documents the field as optional and says
// nothing of what leaving it out does; this door reads an absent or null
// feedback as taking the conversation's feedback back. Any other value is
// 422 type "enum" at ["body","feedback"]; a body that is not a JSON object
// is 422 "model_attributes_type" (malformed JSON "json_invalid", an empty
// body a 422 at ["body"]); unknown members are ignored; a body that is not
// application/json is 415. The body is validated before the id, as FastAPI
// does, so a bad body is 422 even for an unknown conversation. The answer
// is 200 with the JSON body null (the SDK returns it unchecked).
//
// A post replaces the conversation's earlier feedback: it is stored as an
// artifact of type "other" (as the Inkeep door stores its feedback) with
// text "like" or "dislike", score 1 or -1 and data
// {"elevenlabs_feedback":{"score":…}} (score null when taken back), so it
// is derived data of the conversation: sealed with it, listed by the native
// API's artifacts, and deleted with it. The door then deletes the older
// ElevenLabs feedback artifacts of the conversation (each delete writes an
// audit entry; under a legal hold they stay). Reads use the newest, so
// concurrent posts settle on the one stored last.
//
// GET of the conversation shows it as metadata.feedback {"type",
// "overall_score", "likes", "dislikes"}: type "thumbs" and overall_score
// the score when there is one, both null otherwise; likes and dislikes are
// always 0, because ElevenLabs counts there the thumbs given to single
// agent turns during a call, which convstore does not receive. rating and
// comment are never sent.
//
// # Summary: GET /v1/convai/conversations/{conversation_id}/summary
//
// GetConversationSummaryResponseModel: conversation_id, agent_id, status
// ("done"), call_summary_title, transcript_summary (omitted when empty) and
// call_successful as in the conversation's analysis (see Analysis; without
// one the title and "unknown"), message_count, messages,
// messages_omitted and note. Plain chat messages are the user and assistant
// messages with text, oldest first, as {role: "user"|"agent", message};
// system and tool messages and assistant messages without text (tool calls
// only) are left out, as ElevenLabs leaves out tool calls, tool results and
// contextual updates. message_count counts them. When there are at most
// max_messages of them they are all sent and messages_omitted is false;
// otherwise messages is null and messages_omitted true. ElevenLabs
// documents neither the default nor the bounds of max_messages: here it is
// 0..100 (pydantic's 422 outside) and 20 by default. note is a sentence
// that says which messages are shown and that GET of the conversation
// returns the full transcript. The messages are read a store page at a
// time, up to the newest one when the request began, and at most
// max_messages are held.
//
// # Files: POST …/files, DELETE …/files/{file_id}
//
// ElevenLabs takes an image, PDF or text file for a conversation. The body
// is multipart/form-data with the part "file" (a file part, with a file
// name); its media type is the part's Content-Type, or sniffed from the
// first 512 bytes when that is absent or application/octet-stream, and must
// be image/*, text/* or application/pdf. Anything else, a body that is not
// multipart or has no "file" part, is 422 at ["body","file"]; a file over
// the server's attachment cap (--max-attachment-bytes) is 413. The file is
// streamed into an attachment of the conversation named
// "elevenlabs_file_<26 base32>", and the answer is 200 {"file_id":
// "file_<26 base32>"}; like every attachment it is sealed, listed and
// served by the native API, and deleted with the conversation. Unknown and
// foreign conversations answer 404 conversation_not_found before the body
// is read. DELETE removes the upload for good (with an audit entry) and
// answers 200 {"file_id"}; ElevenLabs refuses once the file was used in
// the live conversation, which convstore cannot know, so it always goes
// ahead. A file id that names no upload of the conversation, of an unknown
// one or of another tenant's answers one 404 file_not_found.
//
// # Tags: /v1/convai/tags, …/{conversation_id}/tags
//
// ElevenLabs' conversation tags are workspace-wide definitions, attached
// to conversations by id; here the workspace is the key's tenant. A tag is
// ConversationTagResponseModel: tag_id ("tag_<26 base32>"), workspace_id
// (the tenant's id, "ten_…"), owner_user_id (the id of the API key that
// created it, "key_…"; "" for an operator's), title, description (left
// out when empty) and created_at_unix_secs. Title and description are
// content: sealed at rest under the tag's own data key, kept wrapped in
// the tag's row, so deleting the tag destroys its key; key rotation
// re-wraps it and a restore carries it as it does conversations' keys.
//
// tags.create takes {title, description?}: title 1..256 characters,
// description at most 4000 (pydantic's 422 missing, string_type,
// string_too_short, string_too_long; control characters, other than tab
// and newline in the description, are 422 value_error). ElevenLabs
// documents no bounds: these are this door's. Titles need not be unique
// (ElevenLabs says nothing of duplicates; tags are named by id).
// tags.update takes {title?, description?}: a member absent or null is
// left unchanged; the body is validated before the id. tags.list pages
// the tenant's tags newest first: page_size 1..100 (default 30;
// ElevenLabs' is UNCONFIRMED) and an opaque cursor (the last tag's id; 422
// if it is not one) give {conversation_tags, next_cursor (null on the
// last page), has_more}. tags.delete answers 200 null and detaches the
// tag from every conversation carrying it (ElevenLabs does not say what
// deleting an attached tag does; refusing would leave no way to delete a
// tag in use); it is audited as tag.delete, and a restore deletes again a
// tag deleted after its backup was taken. ElevenLabs restricts update and
// delete to the tag's owner or a workspace admin; here any key of the
// tenant with the route's scope may.
//
// tags.assign takes {tag_ids: [string]} (1..100 ids; 422 too_short,
// too_long, list_type, or string_type at ["body","tag_ids",i]) and
// answers 200 null. It is all or none: the conversation is checked first
// (404 conversation_not_found), then every tag (404 tag_not_found if any
// is unknown, malformed or another tenant's; nothing is attached). Tags
// the conversation carries already are left as they are, as the SDK
// documents; a conversation carries at most 100 tags (422 value_error
// beyond). tags.unassign answers 200 null, also when the conversation
// does not carry the tag (ElevenLabs does not say; the detach is then
// done already); an unknown tag is 404 tag_not_found, after the
// conversation's check. The 404 bodies never echo an id, so unknown,
// malformed and foreign ids answer byte-for-byte alike.
//
// Links are two ids, no content, and go with the conversation (its
// purge), with the tag (its delete) and with the tenant. A deleted
// conversation (during a restore window) cannot be tagged; restoring it
// brings its tags back. The list's tag_ids filter keeps conversations
// carrying every tag named (all, not any: UNCONFIRMED; the narrower
// reading, so that a script deleting what a filtered list returns never
// deletes more than asked). An unknown or malformed id in the filter
// matches nothing.
//
// # Delete: DELETE /v1/convai/conversations/{conversation_id}
//
// Permanently deletes the conversation with its messages, artifacts and
// attachments (audio bytes included) and records a deletion receipt with
// door "elevenlabs". The answer is 200 application/json with the body
// null: ElevenLabs documents "any" and third parties report null; the JS
// SDK returns the parsed body unchecked. No body and no Content-Type are
// needed; a body, if sent, is ignored. Deleting again is 404.
package elevenlabs
