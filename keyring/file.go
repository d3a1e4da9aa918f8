package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// The keyring file is one JSON object (an envelope). Unsealed, it holds the
// contents as they are with their SHA-256, so a damaged file fails to open
// rather than yield a wrong key. Sealed by a master key, it holds the
// contents encrypted (XChaCha20-Poly1305) under a random file key that the
// master key wraps; a new file key is drawn at every write.
const (
	fileFormat  = "convstore-keyring"
	fileVersion = 1
	contentsAAD = "convstore-keyring/v1"
)

type envelope struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Master   string          `json:"master,omitempty"`   // scheme of the master key; "" when unsealed
	FileKey  []byte          `json:"file_key,omitempty"` // wrapped by the master key
	Sealed   []byte          `json:"sealed,omitempty"`   // nonce | ciphertext of contents
	Contents json.RawMessage `json:"contents,omitempty"` // when unsealed
	SHA256   string          `json:"sha256,omitempty"`   // of Contents
}

// contents is what the keyring holds. Destroyed epochs and roots stay
// listed without their key, so an unwrap can say "destroyed" and a receipt
// can say when.
type contents struct {
	ID         string      `json:"id"`
	Epochs     []keyRecord `json:"epochs"`
	IndexRoots []keyRecord `json:"index_roots"`
}

type keyRecord struct {
	ID        uint32     `json:"id"`
	Created   time.Time  `json:"created"`
	Destroyed *time.Time `json:"destroyed,omitempty"`
	Key       []byte     `json:"key,omitempty"`
}

// validate checks what every reader relies on: ids that increase, a key of
// the right size on every live record and none on destroyed ones, and a
// live newest (current) record in each list.
func (c *contents) validate() error {
	if c.ID == "" {
		return errors.New("no keyring id")
	}
	for name, list := range map[string][]keyRecord{"epoch": c.Epochs, "index root": c.IndexRoots} {
		if len(list) == 0 {
			return fmt.Errorf("no %s", name)
		}
		for i, r := range list {
			if r.ID == 0 || (i > 0 && r.ID <= list[i-1].ID) {
				return fmt.Errorf("%s ids out of order at %d", name, r.ID)
			}
			if r.Destroyed == nil && len(r.Key) != 32 {
				return fmt.Errorf("%s %d has a %d-byte key", name, r.ID, len(r.Key))
			}
			if r.Destroyed != nil && len(r.Key) != 0 {
				return fmt.Errorf("destroyed %s %d still has a key", name, r.ID)
			}
		}
		if list[len(list)-1].Destroyed != nil {
			return fmt.Errorf("the current %s is destroyed", name)
		}
	}
	return nil
}

// encode returns the file bytes of c, sealed by master when it is not nil.
func encode(ctx context.Context, c *contents, master MasterKey, scheme string) ([]byte, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	env := envelope{Format: fileFormat, Version: fileVersion}
	if master == nil {
		sum := sha256.Sum256(raw)
		env.Contents, env.SHA256 = raw, hex.EncodeToString(sum[:])
	} else {
		fileKey := make([]byte, chacha20poly1305.KeySize)
		rand.Read(fileKey)
		aead, _ := chacha20poly1305.NewX(fileKey)
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(raw)+aead.Overhead())
		rand.Read(nonce)
		env.Sealed = aead.Seal(nonce, nonce, raw, []byte(contentsAAD))
		if env.FileKey, err = master.Encrypt(ctx, fileKey); err != nil {
			return nil, fmt.Errorf("keyring: the master key could not seal the keyring: %w", err)
		}
		env.Master = scheme
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// decode parses file bytes read from path.
func decode(ctx context.Context, path string, data []byte, master MasterKey, scheme string) (*contents, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.Format != fileFormat {
		return nil, fmt.Errorf("keyring: %s is not a convstore keyring file, or it is damaged", path)
	}
	if env.Version != fileVersion {
		return nil, fmt.Errorf("keyring: %s has format version %d; this build reads %d", path, env.Version, fileVersion)
	}
	var raw []byte
	switch {
	case env.Master == "" && master != nil:
		return nil, fmt.Errorf("keyring: %s is not sealed by a master key, but one was given; seal it first with ChangeMaster (convstore keys master)", path)
	case env.Master == "":
		// The file is indented; the checksum is of the compact contents.
		var compact bytes.Buffer
		if err := json.Compact(&compact, env.Contents); err != nil {
			return nil, fmt.Errorf("keyring: %s is damaged: %v", path, err)
		}
		raw = compact.Bytes()
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != env.SHA256 {
			return nil, fmt.Errorf("keyring: %s is damaged (checksum mismatch)", path)
		}
	case master == nil:
		return nil, fmt.Errorf("keyring: %s is sealed by a %s master key; give its URL", path, env.Master)
	case env.Master != scheme:
		return nil, fmt.Errorf("keyring: %s is sealed by a %s master key, not the %s key given", path, env.Master, scheme)
	default:
		fileKey, err := master.Decrypt(ctx, env.FileKey)
		if err != nil {
			return nil, fmt.Errorf("keyring: the master key does not open %s (wrong key?): %w", path, err)
		}
		aead, err := chacha20poly1305.NewX(fileKey)
		if err != nil || len(env.Sealed) < aead.NonceSize() {
			return nil, fmt.Errorf("keyring: %s is damaged (bad file key or sealed contents)", path)
		}
		ns := aead.NonceSize()
		if raw, err = aead.Open(nil, env.Sealed[:ns], env.Sealed[ns:], []byte(contentsAAD)); err != nil {
			return nil, fmt.Errorf("keyring: %s is damaged (sealed contents fail authentication)", path)
		}
	}
	var c contents
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("keyring: %s is damaged: %v", path, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("keyring: %s is damaged: %v", path, err)
	}
	return &c, nil
}

// writeFile replaces path with data atomically: a temporary file in the
// same directory is written and synced, then renamed over path (or, when
// create is set, linked to path, which fails if another process created it
// first), and the directory is synced. The replaced file's blocks are then
// overwritten with zeros where the platform allows (wipeReplaced): best
// effort only, since journaling, copy-on-write filesystems, SSDs and
// snapshots may keep old blocks anyway; that is why a master key outside
// the disk is recommended.
func writeFile(path string, data []byte, create bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".keyring-*.tmp")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if create {
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("keyring: %s was created by another process meanwhile; open it instead", path)
			}
			return fmt.Errorf("keyring: create %s: %w", path, err)
		}
	} else {
		old, _ := os.OpenFile(path, os.O_WRONLY, 0) // kept open to wipe once unlinked
		if err := os.Rename(tmp.Name(), path); err != nil {
			if old != nil {
				old.Close()
			}
			return fmt.Errorf("keyring: replace %s: %w", path, err)
		}
		if old != nil {
			defer old.Close()
			defer wipeReplaced(old)
		}
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("keyring: sync %s: %w", dir, err)
	}
	return nil
}
