package keyring

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/convstore/convstore/seal"
)

// A wrapped data key:
//
//	version 0xF7 | epoch id (uint32, big endian) | nonce (24 bytes) |
//	XChaCha20-Poly1305 of the 32-byte key, with its 16-byte tag
//
// The first five bytes and the caller's additional data (normally the
// tenant and conversation: seal.Context{...}.AAD()) are the AEAD's
// additional data. XChaCha20-Poly1305's random 192-bit nonces set no bound
// on how many keys one epoch wraps, which rotations of large stores need.
const (
	wrapVersion   = 0xF7
	wrapHeaderLen = 1 + 4
	wrapNonceLen  = 24
	// WrappedSize is the length of a wrapped data key.
	WrappedSize = wrapHeaderLen + wrapNonceLen + seal.DEKSize + 16
)

// autoReloadEvery bounds how often Unwrap rereads the file on meeting an
// unknown epoch, so corrupt rows cannot make every read hit the disk and
// the master key.
const autoReloadEvery = time.Second

// Wrap wraps dek under the live epoch epochID, bound to aad. Wrap under
// Current().ID; an older epoch is accepted while it lives (a rotation in
// progress elsewhere), a destroyed one fails with ErrKeyDestroyed.
func (k *Keyring) Wrap(epochID uint32, dek *seal.DEK, aad []byte) ([]byte, error) {
	k.mu.RLock()
	aead := k.wrappers[epochID]
	k.mu.RUnlock()
	if aead == nil {
		return nil, k.missingEpoch(epochID)
	}
	out := make([]byte, wrapHeaderLen+wrapNonceLen, WrappedSize)
	out[0] = wrapVersion
	binary.BigEndian.PutUint32(out[1:5], epochID)
	nonce := out[wrapHeaderLen:]
	rand.Read(nonce)
	return aead.Seal(out, nonce, dek.Bytes(), additional(out[:wrapHeaderLen], aad)), nil
}

// Unwrap returns the data key in wrapped, which must have been wrapped with
// the same aad. A destroyed epoch fails with ErrKeyDestroyed; a damaged
// wrapped key, another aad, or an epoch this keyring never had fails with
// an error matching seal.ErrIntegrity.
func (k *Keyring) Unwrap(ctx context.Context, wrapped, aad []byte) (*seal.DEK, error) {
	epochID, err := WrappedEpoch(wrapped)
	if err != nil {
		return nil, err
	}
	k.mu.RLock()
	aead := k.wrappers[epochID]
	newest := k.c.Epochs[len(k.c.Epochs)-1].ID
	k.mu.RUnlock()
	if aead == nil && epochID > newest && k.mayAutoReload() {
		// Another process rotated since this one last read the file.
		if _, err := k.Reload(ctx); err != nil {
			return nil, err
		}
		k.mu.RLock()
		aead = k.wrappers[epochID]
		k.mu.RUnlock()
	}
	if aead == nil {
		return nil, k.missingEpoch(epochID)
	}
	raw, err := aead.Open(nil, wrapped[wrapHeaderLen:wrapHeaderLen+wrapNonceLen], wrapped[wrapHeaderLen+wrapNonceLen:],
		additional(wrapped[:wrapHeaderLen], aad))
	if err != nil {
		return nil, &seal.IntegrityError{Reason: fmt.Sprintf("wrapped data key (epoch %d) failed authentication", epochID)}
	}
	return seal.ParseDEK(raw)
}

// WrappedEpoch returns the epoch that wrapped a data key, without
// unwrapping it.
func WrappedEpoch(wrapped []byte) (uint32, error) {
	if len(wrapped) != WrappedSize || wrapped[0] != wrapVersion {
		return 0, &seal.IntegrityError{Reason: "not a wrapped data key"}
	}
	return binary.BigEndian.Uint32(wrapped[1:5]), nil
}

func additional(header, aad []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(aad)), header...), aad...)
}

func (k *Keyring) mayAutoReload() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Sub(k.lastReload) < autoReloadEvery && !k.lastReload.IsZero() {
		return false
	}
	k.lastReload = now
	return true
}

// missingEpoch explains why epochID has no key.
func (k *Keyring) missingEpoch(epochID uint32) error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, e := range k.c.Epochs {
		if e.ID == epochID && e.Destroyed != nil {
			return fmt.Errorf("epoch %d was destroyed at %s; what it wrapped is unrecoverable: %w",
				epochID, e.Destroyed.Format(time.RFC3339), ErrKeyDestroyed)
		}
	}
	return &seal.IntegrityError{Reason: fmt.Sprintf("epoch %d is not in keyring %s", epochID, k.c.ID)}
}
