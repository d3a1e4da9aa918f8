package driver

import (
	"errors"

	"github.com/convstore/convstore"
)

// ErrSeqTaken is ConversationInsert's answer when the sequence number is
// taken (21 random bits per millisecond make that rare, not impossible):
// the caller draws another id and sequence number and tries again in the
// same transaction.
var ErrSeqTaken = errors.New("driver: conversation sequence number taken")

// The conflicts a driver reports, one message each for every engine. They
// name what collided without echoing the value.

// ErrTenantNameTaken is TenantInsert's conflict.
func ErrTenantNameTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "a tenant with this name already exists")
}

// ErrKeyTaken is KeyInsert's conflict: some key has the secret's hash.
func ErrKeyTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "this key already exists")
}

// ErrTokenTaken is AccessTokenInsert's conflict.
func ErrTokenTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "this access token already exists")
}

// ErrExternalIDTaken is ConversationInsert's conflict on the external id.
func ErrExternalIDTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "a conversation with this external id already exists")
}

// ErrIdempotencyKeyTaken is IdempotencyInsert's conflict.
func ErrIdempotencyKeyTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "this idempotency key is in use")
}

// ErrAttachmentNameTaken is AttachmentInsert's conflict.
func ErrAttachmentNameTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "an attachment with this name already exists")
}

// ErrConversationKeyTaken is ConversationKeyInsert's conflict.
func ErrConversationKeyTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "this conversation already has a data key")
}

// ErrUnavailable is the error of an engine that cannot serve: closed,
// unreachable, or busy past its retries.
func ErrUnavailable() error {
	return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
}
