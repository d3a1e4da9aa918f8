// Package openai is the OpenAI Conversations API door: the conversations
// and conversation items of OpenAI's Responses API, which the official
// openai SDKs (Node and Python) and the OpenAI Agents SDK's
// OpenAIConversationsSession use to keep conversation state. Pointed at
// convstore by their base URL alone, they keep that state here instead.
//
// # Mounting and authentication
//
// The door is mounted at the root of its own listener (--openai-addr) and
// at /compat/openai on the main listener; its paths start with /v1, so the
// SDKs' base URL is http://host:port/v1 or
// http://host:port/compat/openai/v1. Requests authenticate with
// "Authorization: Bearer <key>", a convstore API key (as the SDKs send
// their apiKey). Reads need the read scope, creates and updates write,
// deletes delete.
//
// # Routes
//
//	POST   /v1/conversations                                create (items ≤ 20, metadata ≤ 16 pairs)
//	GET    /v1/conversations/{conversation_id}              retrieve
//	POST   /v1/conversations/{conversation_id}              update: metadata replaces the stored metadata
//	DELETE /v1/conversations/{conversation_id}              delete → {"id","object":"conversation.deleted","deleted":true}
//	POST   /v1/conversations/{conversation_id}/items        add items (1 to 20) → a list of them
//	GET    /v1/conversations/{conversation_id}/items        list (after, limit 1–100 default 20, order asc|desc default desc, include)
//	GET    /v1/conversations/{conversation_id}/items/{id}   retrieve an item
//	DELETE /v1/conversations/{conversation_id}/items/{id}   delete an item → the conversation
//
// Every success is 200 application/json. Errors are OpenAI's
// {"error":{"message","type","param","code"}} with its statuses, so the
// SDKs raise their typed errors: 400 invalid_request_error
// (BadRequestError) for every invalid body or parameter, 401 with code
// invalid_api_key (AuthenticationError), 403 (PermissionDeniedError) for a
// key without the route's scope, 404 (NotFoundError), 409 (ConflictError)
// for a delete refused by a legal hold, sent with x-should-retry: false so
// the SDKs do not retry it, 413 for a body over the server's limit, 415
// for a body that is not application/json, 422 for a reused
// Idempotency-Key, 429 type "requests" code rate_limit_exceeded
// (RateLimitError, with Retry-After), 5xx server_error.
//
// # Deleting
//
// OpenAI documents that deleting a conversation does not delete its items.
// Here it does: DELETE /v1/conversations/{id} removes the conversation
// with every item, attachment and derived record, as every door's delete
// does, writes a deletion receipt and audit entry naming the door
// "openai", and emits the conversation.deleted event. An item delete is
// permanent too, with its audit entry.
//
// # Items
//
// Items are stored as the conversation's messages, sealed like every
// message and deleted with it:
//
//   - A message item (type "message", or an easy input message with role
//     and content and no type) of role user, assistant, system or developer
//     is a message of that role (developer is stored as system and
//     remembered as developer). Its content parts (input_text,
//     output_text, input_image by URL or file id, input_file, input_audio,
//     refusal, …) are the message's parts as given; their text (text of
//     the text parts, refusal of refusals, joined by newlines) is its
//     content, which every other door shows. String content becomes one
//     input_text part (output_text with empty annotations for the
//     assistant). The item's id, status and phase are kept; its other
//     members are not.
//   - Every other item type (function_call, function_call_output,
//     reasoning, the tool calls and their outputs, and types this door
//     does not know yet, named by 1 to 64 lowercase letters, digits and
//     underscores) is stored whole as the message's parts and returned as
//     given: JSON-equivalent, its members in key order. Outputs
//     (…_output, mcp_approval_response) are tool messages, the others
//     assistant messages, with no text content.
//   - item_reference items are refused (400): convstore holds no Responses
//     to resolve them against.
//
// An item keeps the id it came with (1 to 128 letters, digits, '_', '-',
// '.' or ':'), so reasoning items replayed to the Responses API keep
// theirs. An item without one is given the id of its message with the
// prefix OpenAI uses for its type where known: msg_ for messages, fc_,
// fco_, rs_, fs_, ws_, cu_, cuo_, ig_, ci_, lsh_, lsho_, sh_, sho_, apc_,
// apco_, mcpl_, mcpr_, mcpa_, mcp_, ctc_, ctco_, tsc_, tso_, cmp_, adt_,
// prg_, prgo_, and item_ for others. Items whose SDK type declares a
// status are returned with status "completed" when they were stored
// without one. Client ids are not checked for uniqueness; retrieving or
// deleting by an id that several items carry finds the newest. Looking up
// a client-given id reads the conversation newest first, so it costs a
// read of the items after it; ids this door gave are found directly.
//
// Messages written through other doors are message items of their text:
// one input_text part (output_text for the assistant), id msg_…, status
// completed, role as stored (tool messages have role tool, which the SDK
// types allow).
//
// # Where OpenAI is silent, or convstore differs
//
//   - Metadata keys and values are counted in bytes of UTF-8 (64 and 512),
//     the store's bounds, which are OpenAI's for ASCII; control characters
//     are refused. Update replaces the whole metadata ({} or null clears
//     it); the member is required. A conversation written by another door
//     shows that door's metadata keys (such as botpress.channel) as they
//     are stored.
//   - include is checked against the values OpenAI defines (as include or
//     include[], repeatable or comma-separated) and otherwise has no
//     effect: items are always returned whole, encrypted reasoning content
//     and image URLs included, since nothing of them is stored apart.
//   - first_id and last_id are null on an empty list.
//   - after may name a deleted item this door gave an id to (its place is
//     kept); a client-given id must still exist (else 400, param after).
//   - A create with no body (Content-Length 0) is a create with {}.
//   - Unknown members of request bodies and unknown query parameters are
//     ignored; a repeated key or a case variant of a member the door reads
//     is refused, as in every door.
//   - A conversation that already holds the server's per-conversation cap
//     of messages answers an add with 400 code
//     conversation_item_limit_reached and stores nothing.
//   - Conversations made here have no agent or user; other doors that
//     scope conversations by agent (Botpress, Stammer) see them once one
//     is set, natively.
package openai
