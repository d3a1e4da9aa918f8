// Package convstore is the domain of the convstore conversation store: the
// types, the service interfaces every storage engine implements, and the
// error codes every API door translates into its own wire format.
//
// # Tenancy
//
// A Tenant owns API keys and conversations. Every method of every service
// takes the tenant ID explicitly, and every engine query filters on it: an
// ID that belongs to another tenant is reported exactly like a missing one
// (ENOTFOUND), so a tenant can never learn that another tenant's data exists.
//
// # Deletion
//
// ConversationService.DeleteConversation is permanent and cascading. In one
// transaction it removes the conversation, its messages, artifacts and
// attachment records, and writes a Deletion receipt and an AuditEntry that
// carry counts and IDs but never content. Attachment bytes live in a
// BlobStore outside the database; the engine queues their removal inside the
// same transaction and removes them right after commit, and a crash between
// the two is repaired the next time the engine opens. A message appended
// concurrently with a delete either commits first (and is deleted with the
// conversation) or fails with ENOTFOUND: there is never an orphan.
//
// # Keys, access tokens and audit
//
// An API key's secret is stored only as a SHA-256 hash, beside a short
// non-secret prefix (KeyPrefixLength characters) that lists and logs show;
// a caller-chosen secret must pass ValidateCustomKeySecret. Access tokens
// (TokenService) are opaque random secrets, stored hashed with their
// expiry, that die with their key. Every destructive and administrative
// action (deletes, attachment replaces, key creation and revocation, tenant
// creation) writes an AuditEntry in its own transaction, with the server's
// request id and, kept apart, the one the client sent.
//
// This package imports only the standard library.
package convstore
