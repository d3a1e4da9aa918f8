package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore/seal"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	ctx   context.Context
	path  string
	clock *clock
}

func setup(t *testing.T) fixture {
	t.Helper()
	return fixture{ctx: context.Background(), path: filepath.Join(t.TempDir(), "keys", "keyring.json"), clock: newClock()}
}

func (f fixture) open(t *testing.T, master string, create bool) *Keyring {
	t.Helper()
	k, err := Open(f.ctx, Config{Path: f.path, MasterKeyURL: master, Create: create, Now: f.clock.Now})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func (f fixture) openErr(t *testing.T, master string) error {
	t.Helper()
	k, err := Open(f.ctx, Config{Path: f.path, MasterKeyURL: master, Now: f.clock.Now})
	if err == nil {
		k.Close()
		t.Fatal("Open succeeded")
	}
	return err
}

func convAAD(tenant, conv string) []byte {
	return seal.Context{Tenant: tenant, Conversation: conv, Table: "conversation_keys", Column: "dek", Row: conv}.AAD()
}

func mustWrap(t *testing.T, k *Keyring, epoch uint32, dek *seal.DEK, aad []byte) []byte {
	t.Helper()
	w, err := k.Wrap(epoch, dek, aad)
	if err != nil {
		t.Fatalf("Wrap: %v", err)
	}
	return w
}

func mustUnwrapTo(t *testing.T, k *Keyring, wrapped, aad []byte, want *seal.DEK) {
	t.Helper()
	got, err := k.Unwrap(context.Background(), wrapped, aad)
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatal("Unwrap returned another key")
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// epochKey digs an epoch's key out of an unsealed keyring file.
func epochKey(t *testing.T, path string, id uint32) []byte {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(readFile(t, path), &env); err != nil {
		t.Fatal(err)
	}
	var c contents
	if err := json.Unmarshal(env.Contents, &c); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Epochs {
		if e.ID == id {
			return e.Key
		}
	}
	t.Fatalf("no epoch %d", id)
	return nil
}

func TestCreateAndReopen(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	info, err := os.Stat(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("keyring file mode %#o, want 0600", perm)
	}
	if cur := k.Current(); cur.ID != 1 || !cur.Created.Equal(f.clock.Now()) || !cur.Retired.IsZero() {
		t.Errorf("first epoch %+v", cur)
	}
	if len(k.ID()) != 32 {
		t.Errorf("keyring id %q", k.ID())
	}
	dek := seal.NewDEK()
	aad := convAAD("ten_1", "conv_1")
	wrapped := mustWrap(t, k, k.Current().ID, dek, aad)
	if len(wrapped) != WrappedSize {
		t.Errorf("wrapped key is %d bytes, want %d", len(wrapped), WrappedSize)
	}
	if bytes.Contains(wrapped, dek.Bytes()) {
		t.Error("wrapped key contains the key")
	}

	again := f.open(t, "", false)
	if again.ID() != k.ID() {
		t.Errorf("reopened id %s, want %s", again.ID(), k.ID())
	}
	mustUnwrapTo(t, again, wrapped, aad, dek)
	// Open with Create on an existing keyring opens it, never replaces it.
	if f.open(t, "", true).ID() != k.ID() {
		t.Error("Open with Create replaced an existing keyring")
	}
}

func TestOpenMissingWithoutCreate(t *testing.T) {
	f := setup(t)
	err := f.openErr(t, "")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), f.path) {
		t.Fatalf("error %v, want one naming the path and matching fs.ErrNotExist", err)
	}
	if _, err := os.Stat(f.path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a failed Open created the keyring file")
	}
}

func TestWrapBindsTenantAndConversation(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	dek := seal.NewDEK()
	wrapped := mustWrap(t, k, 1, dek, convAAD("ten_1", "conv_1"))
	for _, aad := range [][]byte{convAAD("ten_2", "conv_1"), convAAD("ten_1", "conv_2"), nil} {
		if _, err := k.Unwrap(f.ctx, wrapped, aad); !errors.Is(err, seal.ErrIntegrity) {
			t.Errorf("Unwrap under another aad: %v, want an integrity error", err)
		}
	}
	for i := range wrapped {
		tampered := bytes.Clone(wrapped)
		tampered[i] ^= 0x01
		if _, err := k.Unwrap(f.ctx, tampered, convAAD("ten_1", "conv_1")); !errors.Is(err, seal.ErrIntegrity) {
			t.Errorf("byte %d flipped: %v, want an integrity error", i, err)
		}
	}
	for _, n := range []int{0, 5, WrappedSize - 1} {
		if _, err := k.Unwrap(f.ctx, wrapped[:n], convAAD("ten_1", "conv_1")); !errors.Is(err, seal.ErrIntegrity) {
			t.Errorf("first %d bytes: %v, want an integrity error", n, err)
		}
	}
}

func TestRotateAndDestroy(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	aad := convAAD("ten_1", "conv_1")
	dek1 := seal.NewDEK()
	under1 := mustWrap(t, k, 1, dek1, aad)
	key1 := epochKey(t, f.path, 1)

	f.clock.Advance(24 * time.Hour)
	e2, err := k.Rotate(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e2.ID != 2 || k.Current().ID != 2 {
		t.Fatalf("rotated to %+v, current %d", e2, k.Current().ID)
	}
	if all := k.Epochs(); len(all) != 2 || !all[0].Retired.Equal(e2.Created) {
		t.Fatalf("epochs %+v", all)
	}
	mustUnwrapTo(t, k, under1, aad, dek1)  // retired, not destroyed
	under2 := mustWrap(t, k, 2, dek1, aad) // the re-wrap a rotation job does

	f.clock.Advance(24 * time.Hour)
	if _, err := k.Rotate(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Hold the file as it is now, to see the replaced copy wiped.
	before, err := os.Open(f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()

	// Epoch 1 retired a day before epoch 2 did: a retention that reaches
	// between them destroys epoch 1 only, and never the current epoch.
	destroyed, err := k.Destroy(f.ctx, e2.Created.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(destroyed) != 1 || destroyed[0].ID != 1 || !destroyed[0].Destroyed.Equal(f.clock.Now()) {
		t.Fatalf("destroyed %+v, want epoch 1 now", destroyed)
	}
	_, err = k.Unwrap(f.ctx, under1, aad)
	if !errors.Is(err, ErrKeyDestroyed) || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("Unwrap under a destroyed epoch: %v, want ErrKeyDestroyed naming it", err)
	}
	if _, err := k.Wrap(1, dek1, aad); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("Wrap under a destroyed epoch: %v", err)
	}
	mustUnwrapTo(t, k, under2, aad, dek1)

	// The key is gone from the file, from a reopened keyring, and from the
	// replaced file's blocks as far as this filesystem lets us see.
	b64 := base64.StdEncoding.EncodeToString(key1)
	if bytes.Contains(readFile(t, f.path), []byte(b64)) {
		t.Fatal("the keyring file still holds the destroyed key")
	}
	old := make([]byte, 4096)
	n, _ := before.ReadAt(old, 0)
	if bytes.Contains(old[:n], []byte(b64)) || bytes.Count(old[:n], []byte{0}) != n {
		t.Error("the replaced keyring file was not overwritten with zeros")
	}
	reopened := f.open(t, "", false)
	if _, err := reopened.Unwrap(f.ctx, under1, aad); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("reopened Unwrap under a destroyed epoch: %v", err)
	}
	if all := reopened.Epochs(); len(all) != 3 || all[0].Destroyed.IsZero() || !all[1].Destroyed.IsZero() {
		t.Fatalf("reopened epochs %+v", all)
	}

	// Even the widest retention leaves the current epoch.
	f.clock.Advance(time.Hour)
	destroyed, err = k.Destroy(f.ctx, f.clock.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(destroyed) != 1 || destroyed[0].ID != 2 || k.Current().ID != 3 {
		t.Fatalf("destroyed %+v, current %d", destroyed, k.Current().ID)
	}
	if _, err := k.Wrap(3, dek1, aad); err != nil {
		t.Fatalf("Wrap under the current epoch after Destroy: %v", err)
	}
}

func TestMasterKey(t *testing.T) {
	f := setup(t)
	url := NewBase64KeyURL()
	k := f.open(t, url, true)
	dek := seal.NewDEK()
	aad := convAAD("ten_1", "conv_1")
	wrapped := mustWrap(t, k, 1, dek, aad)

	file := readFile(t, f.path)
	var env envelope
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	if env.Master != "base64key" || len(env.Contents) != 0 || len(env.Sealed) == 0 || len(env.FileKey) == 0 {
		t.Fatalf("sealed keyring envelope %+v", env)
	}
	if bytes.Contains(file, []byte(`"epochs"`)) {
		t.Fatal("a sealed keyring file shows its contents")
	}
	mustUnwrapTo(t, f.open(t, url, false), wrapped, aad, dek)

	for name, master := range map[string]string{"another key": NewBase64KeyURL(), "no key": ""} {
		err := f.openErr(t, master)
		if !strings.Contains(err.Error(), f.path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
		if !bytes.Equal(readFile(t, f.path), file) {
			t.Fatalf("%s: a failed Open changed the file", name)
		}
	}
	if err := f.openErr(t, NewBase64KeyURL()); !strings.Contains(err.Error(), "wrong key") {
		t.Errorf("wrong master key: %v", err)
	}
	if err := f.openErr(t, ""); !strings.Contains(err.Error(), "sealed by a base64key master key") {
		t.Errorf("missing master key: %v", err)
	}
}

func TestMasterKeyGivenForUnsealedFile(t *testing.T) {
	f := setup(t)
	f.open(t, "", true)
	file := readFile(t, f.path)
	if err := f.openErr(t, NewBase64KeyURL()); !strings.Contains(err.Error(), "not sealed") {
		t.Errorf("error %v", err)
	}
	if !bytes.Equal(readFile(t, f.path), file) {
		t.Fatal("a failed Open changed the file")
	}
}

func TestMasterKeyURLErrors(t *testing.T) {
	f := setup(t)
	secret := base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{9}, 16))
	for _, url := range []string{"base64key://", "base64key://" + secret, "base64key://" + secret + "?x=1", "nokms://key", "not a url"} {
		_, err := Open(f.ctx, Config{Path: f.path, MasterKeyURL: url, Create: true})
		if err == nil {
			t.Errorf("%q accepted", url)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q repeats the key", err)
		}
	}
	if _, err := os.Stat(f.path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a bad master key URL still created the keyring")
	}
}

func TestChangeMaster(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	dek := seal.NewDEK()
	aad := convAAD("ten_1", "conv_1")
	wrapped := mustWrap(t, k, 1, dek, aad)
	url := NewBase64KeyURL()
	if err := k.ChangeMaster(f.ctx, url); err != nil {
		t.Fatal(err)
	}
	if err := f.openErr(t, ""); !strings.Contains(err.Error(), "sealed by") {
		t.Fatalf("unsealed open of a sealed keyring: %v", err)
	}
	sealed := f.open(t, url, false)
	mustUnwrapTo(t, sealed, wrapped, aad, dek)
	if _, err := k.Rotate(f.ctx); err != nil { // k writes under its new master
		t.Fatal(err)
	}
	url2 := NewBase64KeyURL()
	if err := sealed.ChangeMaster(f.ctx, url2); err != nil {
		t.Fatal(err)
	}
	if f.openErr(t, url) == nil {
		t.Fatal("the old master key still opens the keyring")
	}
	if err := sealed.ChangeMaster(f.ctx, ""); err != nil {
		t.Fatal(err)
	}
	plain := f.open(t, "", false)
	mustUnwrapTo(t, plain, wrapped, aad, dek)
	if plain.Current().ID != 2 {
		t.Fatalf("current epoch %d after changes of master, want 2", plain.Current().ID)
	}
}

// TestDamagedFile changes the file in ways short of a valid keyring: Open
// fails with a message naming the file, and the file stays as it was.
func TestDamagedFile(t *testing.T) {
	for _, master := range []string{"", NewBase64KeyURL()} {
		t.Run(fmt.Sprintf("sealed=%v", master != ""), func(t *testing.T) {
			f := setup(t)
			f.open(t, master, true)
			good := readFile(t, f.path)
			damages := map[string][]byte{
				"empty":     {},
				"truncated": good[:len(good)/2],
				"not json":  []byte("hello"),
				"version":   bytes.Replace(good, []byte(`"version": 1`), []byte(`"version": 2`), 1),
			}
			// A changed character inside the contents or sealed bytes.
			field := []byte(`"contents": {`)
			if master != "" {
				field = []byte(`"sealed": "`)
			}
			i := bytes.Index(good, field) + len(field) + 20
			flipped := bytes.Clone(good)
			if flipped[i] == 'A' {
				flipped[i] = 'B'
			} else {
				flipped[i] = 'A'
			}
			damages["one character changed"] = flipped
			for name, data := range damages {
				if err := os.WriteFile(f.path, data, 0o600); err != nil {
					t.Fatal(err)
				}
				err := f.openErr(t, master)
				if !strings.Contains(err.Error(), f.path) {
					t.Errorf("%s: error %q does not name the file", name, err)
				}
				if !bytes.Equal(readFile(t, f.path), data) {
					t.Errorf("%s: a failed Open changed the file", name)
				}
			}
		})
	}
}

func TestFileReadableByOthers(t *testing.T) {
	f := setup(t)
	f.open(t, "", true)
	if err := os.Chmod(f.path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.openErr(t, ""); !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("error %v", err)
	}
}

// TestSharedFile has two keyrings on one file, as two nodes would: changes
// by one reach the other by Reload or by Unwrap meeting a newer epoch, and
// changes made by both never overwrite each other.
func TestSharedFile(t *testing.T) {
	f := setup(t)
	a := f.open(t, "", true)
	b := f.open(t, "", false)
	aad := convAAD("ten_1", "conv_1")

	if _, err := a.Rotate(f.ctx); err != nil {
		t.Fatal(err)
	}
	if b.Current().ID != 1 {
		t.Fatal("b saw a's rotation before reloading")
	}
	dek := seal.NewDEK()
	wrapped := mustWrap(t, a, 2, dek, aad)
	mustUnwrapTo(t, b, wrapped, aad, dek) // b meets epoch 2 and reloads
	if b.Current().ID != 2 {
		t.Fatalf("b's current epoch %d after meeting epoch 2", b.Current().ID)
	}
	if changed, err := b.Reload(f.ctx); err != nil || changed {
		t.Fatalf("Reload of an unchanged file: %v, %v", changed, err)
	}

	// Concurrent rotations through both: none is lost.
	const each = 5
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, k := range []*Keyring{a, b} {
		wg.Go(func() {
			for range each {
				if _, err := k.Rotate(f.ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := a.Reload(f.ctx); err != nil {
		t.Fatal(err)
	}
	if a.Current().ID != 2+2*each {
		t.Fatalf("current epoch %d after %d rotations from 2, want %d", a.Current().ID, 2*each, 2+2*each)
	}
	if c := f.open(t, "", false).Current().ID; c != 2+2*each {
		t.Fatalf("reopened current epoch %d", c)
	}
}

// TestConcurrentCreate starts two processes' worth of Open on a missing
// file at once: one creates, both end up with the same keyring.
func TestConcurrentCreate(t *testing.T) {
	f := setup(t)
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			k, err := Open(f.ctx, Config{Path: f.path, Create: true})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
			k.Close()
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("keyring ids %v differ: a keyring was replaced", ids)
		}
	}
}

// TestConcurrentUse wraps and unwraps from many goroutines while epochs
// rotate and old ones are destroyed (run with -race).
func TestConcurrentUse(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			aad := convAAD("ten_1", fmt.Sprintf("conv_%d", g))
			for {
				select {
				case <-stop:
					return
				default:
				}
				dek := seal.NewDEK()
				cur := k.Current().ID
				w, err := k.Wrap(cur, dek, aad)
				if errors.Is(err, ErrKeyDestroyed) {
					continue // destroyed between Current and Wrap: the rotation job re-wraps
				} else if err != nil {
					errs <- err
					return
				}
				got, err := k.Unwrap(f.ctx, w, aad)
				if errors.Is(err, ErrKeyDestroyed) {
					continue
				} else if err != nil || !bytes.Equal(got.Bytes(), dek.Bytes()) {
					errs <- fmt.Errorf("unwrap: %v", err)
					return
				}
			}
		})
	}
	for range 10 {
		f.clock.Advance(time.Hour)
		if _, err := k.Rotate(f.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Destroy(f.ctx, f.clock.Now().Add(-2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIndexKeys(t *testing.T) {
	f := setup(t)
	k := f.open(t, "", true)
	k1, err := k.IndexKey("ten_1")
	if err != nil {
		t.Fatal(err)
	}
	idx := k1.Index("user_id", "alice")
	reopened, err := f.open(t, "", false).IndexKey("ten_1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(reopened.Index("user_id", "alice"), idx) {
		t.Fatal("the index key changed on reopen")
	}
	root2, err := k.RotateIndexRoot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := k.IndexKey("ten_1")
	if k2.RootID() != root2 || bytes.Equal(k2.Index("user_id", "alice"), idx) {
		t.Fatal("a new index root gives the same index")
	}
	old, err := k.IndexKeyByRoot(1, "ten_1")
	if err != nil || !bytes.Equal(old.Index("user_id", "alice"), idx) {
		t.Fatalf("IndexKeyByRoot(1): %v", err)
	}
	if err := k.DestroyIndexRoot(f.ctx, root2); err == nil {
		t.Fatal("the current index root was destroyed")
	}
	if err := k.DestroyIndexRoot(f.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := k.IndexKeyByRoot(1, "ten_1"); !errors.Is(err, ErrKeyDestroyed) {
		t.Fatalf("IndexKeyByRoot of a destroyed root: %v", err)
	}
	if roots := f.open(t, "", false).IndexRoots(); len(roots) != 1 || roots[0] != root2 {
		t.Fatalf("index roots after destroy %v", roots)
	}
}

// TestRotateIfDue rotates only once the current epoch is old enough, and
// of two keyrings sharing a file only one rotates.
func TestRotateIfDue(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	a, err := Open(ctx, Config{Path: filepath.Join(dir, "keyring"), Create: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, Config{Path: filepath.Join(dir, "keyring"), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if e, rotated, err := a.RotateIfDue(ctx, time.Hour); err != nil || rotated || e.ID != 1 {
		t.Fatalf("RotateIfDue of a fresh epoch: %+v, %v, %v", e, rotated, err)
	}
	now = now.Add(time.Hour)
	if e, rotated, err := a.RotateIfDue(ctx, time.Hour); err != nil || !rotated || e.ID != 2 {
		t.Fatalf("RotateIfDue after an hour: %+v, %v, %v", e, rotated, err)
	}
	if e, rotated, err := b.RotateIfDue(ctx, time.Hour); err != nil || rotated || e.ID != 2 {
		t.Fatalf("the other keyring's RotateIfDue: %+v, %v, %v; want epoch 2, not rotated", e, rotated, err)
	}
	if b.Current().ID != 2 {
		t.Fatalf("the other keyring's current epoch is %d after RotateIfDue", b.Current().ID)
	}
}
