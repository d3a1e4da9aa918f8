package service

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/sqlite"
)

// An erasure job keeps its selector sealed while it runs and drops it when
// it ends: after the erase, the user id it named is in no file of the
// store (database, WAL, blobs), in plaintext.
func TestErasureSelectorSealedAndDropped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ring, err := keyring.Open(ctx, keyring.Config{Path: filepath.Join(dir, "keyring"), Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	drv, err := sqlite.Open(ctx, filepath.Join(dir, "db", "convstore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(drv, fs, Options{Keyring: ring})
	defer s.Close()
	const secret = "end-user-7c1e5a0b93"
	tenant, _, err := s.CreateTenant(ctx, "t", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := s.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{UserID: secret, ExternalID: secret + "-ext"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.CreateErasure(ctx, tenant.ID, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: secret,
		ExternalIDs: []string{secret + "-ext"}, Metadata: convstore.Metadata{"k": secret}}}, convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	row, err := s.drv.Reads().ErasureGet(ctx, tenant.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(row.WrappedKey) == 0 || row.KeyEpoch == 0 || bytes.Contains(row.SealedSelector, []byte(secret)) {
		t.Fatalf("stored selector %q under epoch %d: want it sealed", row.SealedSelector, row.KeyEpoch)
	}
	sel, err := s.openSelector(ctx, row)
	if err != nil || sel.UserID != secret || len(sel.ExternalIDs) != 1 || sel.Metadata["k"] != secret {
		t.Fatalf("openSelector = %+v, %v", sel, err)
	}
	// Sealed for its own row: another job's row does not open it.
	moved := *row
	moved.ID = convstore.NewID()
	if _, err := s.openSelector(ctx, &moved); convstore.ErrorCode(err) != convstore.EINTEGRITY {
		t.Fatalf("a selector moved to another job: %v, want EINTEGRITY", err)
	}
	// The job erases nothing: the metadata pair does not match.
	if _, err := s.RunErasures(ctx, ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	if row, err = s.drv.Reads().ErasureGet(ctx, tenant.ID, e.ID); err != nil {
		t.Fatal(err)
	}
	if row.State != convstore.ErasureSucceeded || row.Done.Conversations != 0 || row.SealedSelector != nil || row.WrappedKey != nil {
		t.Fatalf("finished job: %s, done %+v, selector %q, key %q", row.State, row.Done, row.SealedSelector, row.WrappedKey)
	}
	if _, err := s.FindConversationByID(ctx, tenant.ID, conv.ID); err != nil {
		t.Fatalf("the conversation the job did not match: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the user id in plaintext", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
