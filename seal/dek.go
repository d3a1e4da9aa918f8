package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// DEKSize is the length of a data key in bytes (256 bits).
const DEKSize = 32

// subkeyPrefix starts the HKDF info of every subkey, so keys derived here
// differ from any other use of the same input.
const subkeyPrefix = "convstore/seal/v1/"

// DEK is a conversation's data key. Records and streams are sealed under
// subkeys derived from it, one per algorithm and one for streams, so no key
// is ever used by two different ciphers. A subkey is HKDF-SHA256-Expand of
// the DEK with the purpose as info: the DEK is uniformly random already, so
// the extract step is skipped (RFC 5869, section 3.3), which halves what a
// request pays to start using a key. A DEK is safe
// for concurrent use; build it once per conversation per request
// (ParseDEK after unwrapping) and drop it afterwards.
type DEK struct {
	raw [DEKSize]byte

	gcmOnce     sync.Once
	gcm         cipher.AEAD
	xchachaOnce sync.Once
	xchacha     cipher.AEAD
}

// NewDEK returns a new random data key.
func NewDEK() *DEK {
	var raw [DEKSize]byte
	rand.Read(raw[:]) // never fails (crypto/rand crashes the program instead)
	return newDEK(raw)
}

// ParseDEK returns the data key whose bytes are b, as Bytes returned them.
func ParseDEK(b []byte) (*DEK, error) {
	if len(b) != DEKSize {
		return nil, fmt.Errorf("seal: a data key is %d bytes, not %d", DEKSize, len(b))
	}
	var raw [DEKSize]byte
	copy(raw[:], b)
	return newDEK(raw), nil
}

func newDEK(raw [DEKSize]byte) *DEK {
	return &DEK{raw: raw}
}

// Bytes returns a copy of the key's bytes, for wrapping. Never store or log
// them unwrapped.
func (d *DEK) Bytes() []byte {
	b := make([]byte, DEKSize)
	copy(b, d.raw[:])
	return b
}

// subkey expands a 256-bit key for one purpose.
func (d *DEK) subkey(purpose string) []byte {
	k, err := hkdf.Expand(sha256.New, d.raw[:], subkeyPrefix+purpose, 32)
	if err != nil {
		panic(err) // only for outputs longer than 255 hashes
	}
	return k
}

// recordAEAD returns the record cipher for alg, or nil for an unknown one.
func (d *DEK) recordAEAD(alg Algorithm) cipher.AEAD {
	switch alg {
	case AES256GCM:
		d.gcmOnce.Do(func() {
			block, err := aes.NewCipher(d.subkey("record/aes-256-gcm"))
			if err != nil {
				panic(err) // the key is 32 bytes
			}
			if d.gcm, err = cipher.NewGCM(block); err != nil {
				panic(err)
			}
		})
		return d.gcm
	case XChaCha20Poly1305:
		d.xchachaOnce.Do(func() {
			var err error
			if d.xchacha, err = chacha20poly1305.NewX(d.subkey("record/xchacha20-poly1305")); err != nil {
				panic(err) // the key is 32 bytes
			}
		})
		return d.xchacha
	}
	return nil
}
