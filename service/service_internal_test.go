package service

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/sqlite"
)

// Options left zero mean the domain's caps and the stated defaults.
func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(drv, fs, Options{})
	defer s.Close()
	if s.maxMessages != convstore.DefaultMaxConversationMessages || s.maxAttachments != convstore.MaxAttachmentsPerConversation ||
		s.maxTokens != convstore.MaxAccessTokensPerKey {
		t.Errorf("caps %d, %d and %d, want the domain's", s.maxMessages, s.maxAttachments, s.maxTokens)
	}
	if s.auth.ttl != DefaultAuthCacheTTL || s.uses.resolution != time.Minute || s.uploadTimeout != time.Hour || s.orphanInterval != DefaultOrphanSweepInterval {
		t.Errorf("auth cache %v, key use resolution %v, upload timeout %v, orphan sweeps every %v", s.auth.ttl, s.uses.resolution, s.uploadTimeout, s.orphanInterval)
	}
	if now := s.now(); now.Location() != time.UTC || now.Nanosecond()%1000 != 0 {
		t.Errorf("now %v, want UTC at the microsecond", now)
	}
}
