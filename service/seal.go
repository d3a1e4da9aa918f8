package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blindindex"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/seal"
)

// Defaults of the sealing options.
const (
	DefaultKeyCacheSize = 10000
	DefaultKeyCacheTTL  = time.Minute
)

// Table and column names of the sealed values' contexts (seal.Context):
// a value opens only in the place it was sealed for.
const (
	tConversations = "conversations"
	tMessages      = "messages"
	tArtifacts     = "artifacts"
	tAttachments   = "attachments"
)

// errIntegrity is the EINTEGRITY error every failure to open returns: it
// names nothing of the content, the key or the place.
func errIntegrity() error {
	return convstore.Errorf(convstore.EINTEGRITY, "stored data failed its integrity check")
}

// sealer seals and opens content with the conversations' data keys (DEKs),
// which the keyring wraps, and computes the blind indexes of looked-up
// fields under each tenant's index key.
type sealer struct {
	ring   *keyring.Keyring // nil: content is stored unsealed (see Options.Keyring)
	alg    seal.Algorithm
	logger interface {
		Error(msg string, args ...any)
	}
	deks *otter.Cache[dekKey, *seal.DEK]
	// index keys per tenant and root: deriving one costs an HKDF.
	indexKeys sync.Map // rootKey -> *blindindex.Key
}

type dekKey struct{ tenant, conv convstore.ID }

// unsealedRoot is the index root of a store without a keyring: its
// indexes protect nothing (the plaintext is beside them) but keep the
// lookups working the same way.
var unsealedRoot = make([]byte, blindindex.RootSize)

func newSealer(opts *Options, logger interface{ Error(string, ...any) }) (*sealer, error) {
	s := &sealer{ring: opts.Keyring, alg: opts.SealAlgorithm, logger: logger}
	if s.alg == 0 {
		s.alg = seal.DefaultAlgorithm
	}
	if s.ring == nil {
		return s, nil
	}
	ttl := opts.KeyCacheTTL
	if ttl == 0 {
		ttl = DefaultKeyCacheTTL
	}
	size := positive(opts.KeyCacheSize, DefaultKeyCacheSize)
	if ttl > 0 {
		var err error
		s.deks, err = otter.New(&otter.Options[dekKey, *seal.DEK]{
			MaximumSize:      size,
			ExpiryCalculator: otter.ExpiryWriting[dekKey, *seal.DEK](ttl),
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// keyAAD is the additional data a conversation's DEK is wrapped with.
func keyAAD(tenantID, convID convstore.ID) []byte {
	return seal.Context{Tenant: tenantID.UUID(), Conversation: convID.UUID()}.AAD()
}

// indexKey returns the tenant's blind-index key under the current index
// root.
func (z *sealer) indexKey(tenantID convstore.ID) (*blindindex.Key, error) {
	return z.indexKeyAt(tenantID, z.currentRoot())
}

// index returns the blind index of value in field under the current
// root, nil for "".
func (z *sealer) index(tenantID convstore.ID, field, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	k, err := z.indexKey(tenantID)
	if err != nil {
		return nil, err
	}
	return k.Index(field, value), nil
}

// metaIndex returns the pair index rows of m under the current root.
func (z *sealer) metaIndex(tenantID convstore.ID, m convstore.Metadata) ([]driver.MetaIndex, error) {
	if len(m) == 0 {
		return nil, nil
	}
	k, err := z.indexKey(tenantID)
	if err != nil {
		return nil, err
	}
	return metaIndexWith(k, m), nil
}

// forget drops a deleted conversation's DEK from the cache.
func (z *sealer) forget(tenantID, convID convstore.ID) {
	if z.deks != nil {
		z.deks.Invalidate(dekKey{tenantID, convID})
	}
}

// keyFor returns the conversation's DEK for a write in tx, creating it for
// a conversation made before sealing. Nil when sealing is off. The caller
// has checked (or locks) the conversation.
func (z *sealer) keyFor(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID, now time.Time) (*seal.DEK, error) {
	if z.ring == nil {
		return nil, nil
	}
	dek, err := z.key(ctx, tx, tenantID, convID)
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		return dek, err
	}
	dek = seal.NewDEK()
	err = z.storeKey(ctx, tx, tenantID, convID, dek, now)
	if convstore.ErrorCode(err) == convstore.ECONFLICT { // another write made it first
		return z.key(ctx, tx, tenantID, convID)
	}
	return dek, err
}

// key returns the conversation's DEK: cached, or read through r and
// unwrapped. ENOTFOUND "conversation key" if it has none (made before
// sealing, or deleted).
func (z *sealer) key(ctx context.Context, r driver.Reader, tenantID, convID convstore.ID) (*seal.DEK, error) {
	if z.deks != nil {
		if dek, ok := z.deks.GetIfPresent(dekKey{tenantID, convID}); ok {
			return dek, nil
		}
	}
	k, err := r.ConversationKeyGet(ctx, tenantID, convID)
	if err != nil {
		return nil, err
	}
	return z.unwrap(ctx, k)
}

// unwrap unwraps a conversation's stored DEK and caches it.
func (z *sealer) unwrap(ctx context.Context, k *driver.ConversationKey) (*seal.DEK, error) {
	tenantID, convID := k.TenantID, k.ConversationID
	dek, err := z.ring.Unwrap(ctx, k.Wrapped, keyAAD(tenantID, convID))
	if err != nil {
		z.logger.Error("a conversation's data key failed to unwrap", "tenant", tenantID.UUID(),
			"conversation", convID.UUID(), "epoch", k.Epoch, "error", err)
		if errors.Is(err, seal.ErrIntegrity) || errors.Is(err, keyring.ErrKeyDestroyed) {
			return nil, errIntegrity()
		}
		return nil, err
	}
	if z.deks != nil {
		z.deks.Set(dekKey{tenantID, convID}, dek)
	}
	return dek, nil
}

// prefetch reads, in one query per batch, the stored DEKs of the openers'
// conversations that are not cached, for a list of many conversations: a
// cold page costs one key read, not one per conversation. Each is still
// unwrapped only when its opener meets a sealed value.
func (z *sealer) prefetch(ctx context.Context, r driver.Reader, tenantID convstore.ID, openers map[convstore.ID]*opener) error {
	if z.ring == nil || len(openers) < 2 {
		return nil
	}
	var ids []convstore.ID
	for id := range openers {
		if z.deks != nil {
			if _, ok := z.deks.GetIfPresent(dekKey{tenantID, id}); ok {
				continue
			}
		}
		ids = append(ids, id)
	}
	if len(ids) < 2 { // one read either way
		return nil
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), convstore.MaxBatchRanges)]
		ids = ids[len(batch):]
		keys, err := r.ConversationKeyGetMany(ctx, tenantID, batch)
		if err != nil {
			return err
		}
		for _, id := range batch {
			openers[id].fetched = true
		}
		for _, k := range keys {
			if o := openers[k.ConversationID]; o != nil {
				o.stored = k
			}
		}
	}
	return nil
}

// box seals the values of one conversation under its DEK: each value
// bound to its tenant, conversation, table, column and row. A nil DEK
// (sealing off) leaves values as they are. Empty values stay empty.
type box struct {
	dek          *seal.DEK
	alg          seal.Algorithm
	tenant, conv string
}

func (z *sealer) box(dek *seal.DEK, tenantID, convID convstore.ID) box {
	return box{dek: dek, alg: z.alg, tenant: tenantID.UUID(), conv: convID.UUID()}
}

func (b box) aad(table, column string, row convstore.ID) []byte {
	return seal.Context{Tenant: b.tenant, Conversation: b.conv, Table: table, Column: column, Row: row.UUID()}.AAD()
}

// bytes seals v; nil for empty.
func (b box) bytes(table, column string, row convstore.ID, v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if b.dek == nil {
		return v
	}
	return seal.SealWith(b.alg, b.dek, v, b.aad(table, column, row))
}

// str seals a string field; "" stays "".
func (b box) str(table, column string, row convstore.ID, v string) string {
	if v == "" || b.dek == nil {
		return v
	}
	return string(seal.SealWith(b.alg, b.dek, []byte(v), b.aad(table, column, row)))
}

// meta seals metadata as one JSON object; nil for empty.
func (b box) meta(table string, row convstore.ID, m convstore.Metadata) []byte {
	if len(m) == 0 {
		return nil
	}
	raw, err := json.Marshal(m)
	if err != nil { // a map of strings always marshals
		panic("service: marshalling metadata: " + err.Error())
	}
	return b.bytes(table, "metadata", row, raw)
}

// opener opens the values of one conversation, reading its DEK only when
// it meets a sealed value (a conversation made before sealing has none).
type opener struct {
	z            *sealer
	ctx          context.Context
	r            driver.Reader
	tenantID     convstore.ID
	convID       convstore.ID
	dek          *seal.DEK
	tenant, conv string
	// fetched: stored is the conversation's stored DEK as prefetch read
	// it (nil: it has none), so the opener need not read it.
	fetched bool
	stored  *driver.ConversationKey
}

func (z *sealer) opener(ctx context.Context, r driver.Reader, tenantID, convID convstore.ID) *opener {
	return &opener{z: z, ctx: ctx, r: r, tenantID: tenantID, convID: convID, tenant: tenantID.UUID(), conv: convID.UUID()}
}

// bytes opens a stored value: a sealed one under the DEK, plaintext (made
// before sealing) as it is. EINTEGRITY if it does not open.
func (o *opener) bytes(table, column string, row convstore.ID, v []byte) ([]byte, error) {
	if !seal.IsSealed(v) {
		return v, nil
	}
	if o.dek == nil {
		if o.z.ring == nil {
			o.z.logger.Error("a sealed value in a store opened without a keyring", "conversation", o.conv)
			return nil, errIntegrity()
		}
		dek, err := o.key()
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			// Sealed content without a key: the conversation is being
			// deleted, or the key row was lost.
			o.z.logger.Error("a sealed value without its conversation's data key", "conversation", o.conv)
			return nil, errIntegrity()
		} else if err != nil {
			return nil, err
		}
		o.dek = dek
	}
	out, err := seal.Open(o.dek, v, seal.Context{Tenant: o.tenant, Conversation: o.conv, Table: table, Column: column,
		Row: row.UUID()}.AAD())
	if err != nil {
		o.z.logger.Error("a sealed value failed to open", "tenant", o.tenant, "conversation", o.conv, "table", table,
			"column", column, "row", row.UUID(), "error", err)
		return nil, errIntegrity()
	}
	return out, nil
}

// key returns the conversation's DEK: cached, prefetched, or read.
func (o *opener) key() (*seal.DEK, error) {
	if !o.fetched {
		return o.z.key(o.ctx, o.r, o.tenantID, o.convID)
	}
	if o.z.deks != nil {
		if dek, ok := o.z.deks.GetIfPresent(dekKey{o.tenantID, o.convID}); ok {
			return dek, nil
		}
	}
	if o.stored == nil {
		return nil, convstore.NotFound("conversation key")
	}
	return o.z.unwrap(o.ctx, o.stored)
}

func (o *opener) str(table, column string, row convstore.ID, v string) (string, error) {
	if !seal.IsSealed([]byte(v[:min(len(v), 1)])) {
		return v, nil
	}
	b, err := o.bytes(table, column, row, []byte(v))
	return string(b), err
}

// json opens a JSON value; nil stays nil.
func (o *opener) json(table, column string, row convstore.ID, v json.RawMessage) (json.RawMessage, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := o.bytes(table, column, row, v)
	return json.RawMessage(b), err
}

// meta opens metadata; empty reads as nil.
func (o *opener) meta(table string, row convstore.ID, v []byte) (convstore.Metadata, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := o.bytes(table, "metadata", row, v)
	if err != nil {
		return nil, err
	}
	var m convstore.Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		o.z.logger.Error("stored metadata is not a JSON object", "conversation", o.conv, "table", table, "row", row.UUID())
		return nil, errIntegrity()
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// storeKey stores a new conversation's DEK (drawn before its content was
// sealed) wrapped by the current epoch. Nothing when sealing is off.
func (z *sealer) storeKey(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID, dek *seal.DEK, now time.Time) error {
	if z.ring == nil {
		return nil
	}
	epoch := z.ring.Current().ID
	wrapped, err := z.ring.Wrap(epoch, dek, keyAAD(tenantID, convID))
	if err != nil {
		return fmt.Errorf("service: wrapping a data key: %w", err)
	}
	err = tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: tenantID, ConversationID: convID, Epoch: epoch,
		Wrapped: wrapped, CreatedAt: now})
	if err != nil {
		return err
	}
	if z.deks != nil {
		z.deks.Set(dekKey{tenantID, convID}, dek)
	}
	return nil
}
