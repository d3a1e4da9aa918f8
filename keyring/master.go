package keyring

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"golang.org/x/crypto/nacl/secretbox"
)

// MasterKey seals the keyring file's own key. Its methods have the shape of
// a gocloud.dev/secrets Keeper, so any of its keepers (AWS, GCP and Azure
// KMS, HashiCorp Vault) adapts to it; package keyring/kms does that.
type MasterKey interface {
	Encrypt(ctx context.Context, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error)
	Close() error
}

// MasterKeyOpener opens the master key a URL names.
type MasterKeyOpener func(ctx context.Context, u *url.URL) (MasterKey, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]MasterKeyOpener{"base64key": openBase64Key}
)

// RegisterMasterKeyScheme makes OpenMasterKey open URLs of scheme with
// open. base64key is built in; package keyring/kms registers the cloud KMS
// and Vault schemes.
func RegisterMasterKeyScheme(scheme string, open MasterKeyOpener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	openers[scheme] = open
}

// OpenMasterKey opens the master key named by rawURL. Errors never repeat
// the URL, which may hold the key itself.
func OpenMasterKey(ctx context.Context, rawURL string) (MasterKey, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return nil, "", errors.New("keyring: the master key URL is not a URL (expected scheme://...)")
	}
	openersMu.RLock()
	open := openers[u.Scheme]
	openersMu.RUnlock()
	if open == nil {
		return nil, "", fmt.Errorf("keyring: no master key scheme %q in this build (built in: base64key; cloud KMS and Vault need the kms build)", u.Scheme)
	}
	mk, err := open(ctx, u)
	if err != nil {
		return nil, "", err
	}
	return mk, u.Scheme, nil
}

// base64Key is a local master key given in the URL itself,
// base64key://<32 bytes in URL-safe base64>. Its ciphertexts are those of
// gocloud.dev/secrets/localsecrets (a 24-byte nonce, then NaCl secretbox),
// so a keyring sealed by either opens with the other.
type base64Key struct{ key [32]byte }

func openBase64Key(_ context.Context, u *url.URL) (MasterKey, error) {
	if u.Host == "" {
		// localsecrets makes up a random key here; a keyring sealed by a
		// key nobody kept could never be opened again.
		return nil, errors.New("keyring: base64key:// needs a key: base64key://<32 bytes, URL-safe base64>")
	}
	if len(u.Query()) > 0 || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("keyring: base64key:// takes only a key, no path or parameters")
	}
	raw, err := base64.URLEncoding.DecodeString(u.Host)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("keyring: the base64key:// key must be 32 bytes in URL-safe base64")
	}
	k := &base64Key{}
	copy(k.key[:], raw)
	return k, nil
}

// NewBase64KeyURL returns a base64key:// URL with a new random key, for
// setup and tests.
func NewBase64KeyURL() string {
	var key [32]byte
	rand.Read(key[:])
	return "base64key://" + base64.URLEncoding.EncodeToString(key[:])
}

func (k *base64Key) Encrypt(_ context.Context, plaintext []byte) ([]byte, error) {
	var nonce [24]byte
	rand.Read(nonce[:])
	return secretbox.Seal(nonce[:], plaintext, &nonce, &k.key), nil
}

func (k *base64Key) Decrypt(_ context.Context, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < 24+secretbox.Overhead {
		return nil, errors.New("keyring: master key ciphertext too short")
	}
	var nonce [24]byte
	copy(nonce[:], ciphertext)
	plain, ok := secretbox.Open(nil, ciphertext[24:], &nonce, &k.key)
	if !ok {
		return nil, errors.New("keyring: the master key does not open this keyring (wrong key?)")
	}
	return plain, nil
}

func (k *base64Key) Close() error { return nil }
