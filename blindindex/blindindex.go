package blindindex

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Size is the length of an index in bytes. 128 bits keep accidental
// matches out of reach (two of 2^32 distinct values of one tenant and field
// collide with probability about 2^-65) while halving the storage of a full
// SHA-256; truncation hides nothing more, since equality is what an index
// reveals anyway.
const Size = 16

// RootSize is the length of an index root key in bytes.
const RootSize = 32

// infoPrefix separates tenant index keys from any other key derived from
// the same root.
const infoPrefix = "convstore/blindindex/v1/tenant/"

// Key is one tenant's index key under one root. It is safe for concurrent
// use.
type Key struct {
	rootID uint32
	key    []byte
}

// DeriveKey returns tenant's index key under the root key root, whose id
// (the keyring's) it remembers.
func DeriveKey(root []byte, rootID uint32, tenantID string) (*Key, error) {
	if len(root) != RootSize {
		return nil, fmt.Errorf("blindindex: a root key is %d bytes, not %d", RootSize, len(root))
	}
	if tenantID == "" {
		return nil, fmt.Errorf("blindindex: empty tenant id")
	}
	k, err := hkdf.Key(sha256.New, root, nil, infoPrefix+tenantID, 32)
	if err != nil {
		return nil, fmt.Errorf("blindindex: %w", err)
	}
	return &Key{rootID: rootID, key: k}, nil
}

// RootID returns the id of the root key this key was derived from; a store
// keeps it beside each index so a re-index job can find rows still indexed
// under an older root.
func (k *Key) RootID() uint32 { return k.rootID }

// Index returns the blind index of value in field, Size bytes. field names
// what is indexed ("user_id", "external_id", "attachment_name", "tag",
// "metadata"); values may be several parts (a metadata key and its value),
// each hashed with its length, so ("ab", "c") and ("a", "bc") differ.
func (k *Key) Index(field string, value ...string) []byte {
	m := hmac.New(sha256.New, k.key)
	var n [binary.MaxVarintLen64]byte
	writePart := func(s string) {
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		m.Write([]byte(s))
	}
	writePart(field)
	for _, v := range value {
		writePart(v)
	}
	return m.Sum(nil)[:Size]
}
