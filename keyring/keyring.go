package keyring

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Config says where the keyring is and how it is sealed.
type Config struct {
	// Path is the keyring file. Its directory must exist or be creatable;
	// the file is created 0600 and a lock file Path+".lock" beside it.
	Path string
	// MasterKeyURL names the master key that seals the file, for example
	// base64key://... or, in a build with package keyring/kms,
	// awskms://..., gcpkms://..., azurekeyvault://..., hashivault://...
	// Empty: the file is not sealed and holds its keys as they are.
	MasterKeyURL string
	// Create makes Open create a new keyring (one epoch, one index root)
	// when Path does not exist. Without it a missing file is an error, so
	// a misplaced keyring is never silently replaced by a new one.
	Create bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Epoch is a key-encryption key's life: data keys are wrapped by the
// current epoch; a rotation starts a new one (and retires the previous);
// a destroyed epoch's key is gone, and with it every data key it wrapped.
type Epoch struct {
	ID        uint32
	Created   time.Time
	Retired   time.Time // when the next epoch was created; zero for the current one
	Destroyed time.Time // zero while the key exists
}

// Keyring holds the epoch keys and index root keys of a store. It is safe
// for concurrent use, and several processes may share one file: every
// change is made under a file lock from the file's latest contents, and
// Reload picks up other processes' changes.
type Keyring struct {
	path   string
	master MasterKey // nil when the file is unsealed
	scheme string
	now    func() time.Time

	mu         sync.RWMutex
	c          *contents
	wrappers   map[uint32]cipher.AEAD // live epochs' key-wrapping ciphers
	loadedInfo os.FileInfo            // the file as last read, to skip unchanged reloads
	lastReload time.Time              // of Unwrap's automatic reloads, to bound them
}

// Open opens the keyring at cfg.Path, or creates it if cfg.Create is set
// and it does not exist. A wrong or missing master key, a damaged file or
// a file readable by others fails Open at once, and nothing is changed.
func Open(ctx context.Context, cfg Config) (*Keyring, error) {
	if cfg.Path == "" {
		return nil, errors.New("keyring: no path")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	k := &Keyring{path: path, now: cfg.Now}
	if k.now == nil {
		k.now = time.Now
	}
	if cfg.MasterKeyURL != "" {
		if k.master, k.scheme, err = OpenMasterKey(ctx, cfg.MasterKeyURL); err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok {
			k.Close()
		}
	}()
	_, err = os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && cfg.Create:
		if err := k.create(ctx); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("keyring: %s does not exist; a new store creates it, an existing store's keyring must be restored there: %w", path, fs.ErrNotExist)
	case err != nil:
		return nil, fmt.Errorf("keyring: %w", err)
	default:
		if _, err := k.reload(ctx, true); err != nil {
			return nil, err
		}
	}
	ok = true
	return k, nil
}

// create writes a new keyring, unless another process creates one first.
func (k *Keyring) create(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	unlock, err := lockPath(k.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(k.path); err == nil {
		// Another process created it while we waited for the lock.
		_, err := k.reload(ctx, true)
		return err
	}
	id := make([]byte, 16)
	rand.Read(id)
	now := k.now().UTC()
	c := &contents{
		ID:         hex.EncodeToString(id),
		Epochs:     []keyRecord{{ID: 1, Created: now, Key: newKey()}},
		IndexRoots: []keyRecord{{ID: 1, Created: now, Key: newKey()}},
	}
	data, err := encode(ctx, c, k.master, k.scheme)
	if err != nil {
		return err
	}
	if err := writeFile(k.path, data, true); err != nil {
		return err
	}
	return k.install(c)
}

func newKey() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// Reload reads the file again if it changed since it was last read (another
// process rotated or destroyed an epoch) and reports whether it did. Nodes
// sharing a keyring call it periodically, so all wrap under the current
// epoch; Unwrap calls it by itself on meeting a newer epoch than it knows.
func (k *Keyring) Reload(ctx context.Context) (bool, error) {
	return k.reload(ctx, false)
}

func (k *Keyring) reload(ctx context.Context, force bool) (bool, error) {
	info, err := os.Stat(k.path)
	if err != nil {
		return false, fmt.Errorf("keyring: %w", err)
	}
	if err := checkMode(k.path, info); err != nil {
		return false, err
	}
	k.mu.RLock()
	prev := k.loadedInfo
	k.mu.RUnlock()
	if !force && prev != nil && os.SameFile(prev, info) && prev.ModTime().Equal(info.ModTime()) && prev.Size() == info.Size() {
		return false, nil
	}
	c, info, err := k.read(ctx)
	if err != nil {
		return false, err
	}
	if err := k.installRead(c, info); err != nil {
		return false, err
	}
	return true, nil
}

// read reads and decodes the file, returning what was read and its stat.
func (k *Keyring) read(ctx context.Context) (*contents, os.FileInfo, error) {
	f, err := os.Open(k.path)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: %w", err)
	}
	if err := checkMode(k.path, info); err != nil {
		return nil, nil, err
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, nil, fmt.Errorf("keyring: read %s: %w", k.path, err)
	}
	master, scheme := k.masterKey()
	c, err := decode(ctx, k.path, data, master, scheme)
	return c, info, err
}

// install makes c the keyring's state after this process wrote it.
func (k *Keyring) install(c *contents) error {
	info, err := os.Stat(k.path)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return k.installRead(c, info)
}

func (k *Keyring) installRead(c *contents, info os.FileInfo) error {
	wrappers := make(map[uint32]cipher.AEAD, len(c.Epochs))
	for _, e := range c.Epochs {
		if e.Destroyed == nil {
			aead, err := chacha20poly1305.NewX(e.Key)
			if err != nil {
				return fmt.Errorf("keyring: epoch %d: %w", e.ID, err)
			}
			wrappers[e.ID] = aead
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c != nil && k.c.ID != c.ID {
		return fmt.Errorf("keyring: %s now holds another keyring (id %s, was %s); refusing to switch", k.path, c.ID, k.c.ID)
	}
	k.c, k.wrappers, k.loadedInfo = c, wrappers, info
	return nil
}

// update changes the keyring under the file lock: it reads the file's
// latest contents (another process may have changed them), applies change
// to them, and writes the result. Nothing is written if change fails.
func (k *Keyring) update(ctx context.Context, change func(c *contents) error) error {
	unlock, err := lockPath(k.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	c, _, err := k.read(ctx)
	if err != nil {
		return err
	}
	if err := change(c); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("keyring: refusing to write an invalid keyring: %v", err)
	}
	master, scheme := k.masterKey()
	data, err := encode(ctx, c, master, scheme)
	if err != nil {
		return err
	}
	if err := writeFile(k.path, data, false); err != nil {
		return err
	}
	return k.install(c)
}

// masterKey returns the master key and its scheme (nil and "" if none).
func (k *Keyring) masterKey() (MasterKey, string) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.master, k.scheme
}

// ID returns the keyring's random id. A store records it beside its
// wrapped keys and refuses to start with a keyring of another id: a wrong
// keyring file is caught at start, not at the first read.
func (k *Keyring) ID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.c.ID
}

// Path returns the keyring file's absolute path.
func (k *Keyring) Path() string { return k.path }

// Close releases the master key.
func (k *Keyring) Close() error {
	if master, _ := k.masterKey(); master != nil {
		return master.Close()
	}
	return nil
}
