package service_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// keyCounter counts the reads of conversations' data keys: one at a time
// (ConversationKeyGet) and a list's together (ConversationKeyGetMany).
type keyCounter struct {
	driver.Driver
	one, many atomic.Int64
}

type keyCountingReader struct {
	driver.Reader
	c *keyCounter
}

func (r keyCountingReader) ConversationKeyGet(ctx context.Context, tenantID, convID convstore.ID) (*driver.ConversationKey, error) {
	r.c.one.Add(1)
	return r.Reader.ConversationKeyGet(ctx, tenantID, convID)
}

func (r keyCountingReader) ConversationKeyGetMany(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) ([]*driver.ConversationKey, error) {
	r.c.many.Add(1)
	return r.Reader.ConversationKeyGetMany(ctx, tenantID, ids)
}

func (c *keyCounter) Read(ctx context.Context, fn func(ctx context.Context, r driver.Reader) error) error {
	return c.Driver.Read(ctx, func(ctx context.Context, r driver.Reader) error { return fn(ctx, keyCountingReader{r, c}) })
}

func (c *keyCounter) Reads() driver.Reader { return keyCountingReader{c.Driver.Reads(), c} }

// reads returns the key reads since the last call.
func (c *keyCounter) reads() (one, many int64) { return c.one.Swap(0), c.many.Swap(0) }

// A list of many conversations opens their content with their data keys
// read together, however many conversations the page holds, not one by
// one (the cache is off: every list is cold); what it returns is what the
// single reads return.
func TestListKeysReadTogether(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	drv := &keyCounter{Driver: db}
	svc := service.New(drv, fs, service.Options{Keyring: servicetest.NewKeyring(t), KeyCacheTTL: -1, Logger: servicetest.Logger(t)})
	t.Cleanup(func() { svc.Close() })
	tn, _ := servicetest.MustCreateTenant(t, ctx, svc, "t-"+convstore.NewID().Base32())

	const n = 30
	convs := make([]*convstore.Conversation, n)
	msgRanges := make([]convstore.MessageRange, n)
	artRanges := make([]convstore.ArtifactRange, n)
	for i := range convs {
		convs[i], _ = servicetest.MustCreateConversation(t, ctx, svc, tn.ID, &convstore.ConversationCreate{
			Title: "title " + convstore.NewID().Base32(), Metadata: convstore.Metadata{"k": "v"},
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "first"}, {Role: convstore.RoleAssistant, Content: "last"}},
		})
		servicetest.MustCreateArtifact(t, ctx, svc, tn.ID, convs[i].ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "summary"})
		msgRanges[i] = convstore.MessageRange{ConversationID: convs[i].ID}
		artRanges[i] = convstore.ArtifactRange{ConversationID: convs[i].ID}
	}
	drv.reads()

	wantTogether := func(what string, maxMany int64) {
		t.Helper()
		one, many := drv.reads()
		if one != 0 || many < 1 || many > maxMany {
			t.Errorf("%s of %d conversations: %d single key reads and %d batched, want 0 and 1..%d", what, n, one, many, maxMany)
		}
	}
	list, _, err := svc.FindConversations(ctx, tn.ID, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: n}})
	if err != nil || len(list) != n || list[0].Title == "" || list[0].Metadata["k"] != "v" {
		t.Fatalf("FindConversations: %d, %v", len(list), err)
	}
	wantTogether("FindConversations", 1)
	digests, _, err := svc.FindConversationDigests(ctx, tn.ID, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: n}},
		convstore.DigestOptions{First: 1, Last: 1})
	if err != nil || len(digests) != n {
		t.Fatalf("FindConversationDigests: %d, %v", len(digests), err)
	}
	wantTogether("FindConversationDigests", 2) // the conversations, then their messages
	for _, d := range digests {
		if d.Conversation.Title == "" || len(d.First) != 1 || d.First[0].Content != "first" || len(d.Last) != 1 || d.Last[0].Content != "last" {
			t.Fatalf("a digest: %+v", d)
		}
	}
	pages, err := svc.FindMessagePages(ctx, tn.ID, msgRanges)
	if err != nil {
		t.Fatal(err)
	}
	wantTogether("FindMessagePages", 1)
	for i, p := range pages {
		if len(p.Messages) != 2 || p.Messages[0].Content != "first" || p.Messages[0].ConversationID != convs[i].ID {
			t.Fatalf("page %d: %+v", i, p)
		}
	}
	artPages, err := svc.FindArtifactPages(ctx, tn.ID, artRanges)
	if err != nil {
		t.Fatal(err)
	}
	wantTogether("FindArtifactPages", 1)
	for i, p := range artPages {
		if len(p.Artifacts) != 1 || p.Artifacts[0].Text != "summary" {
			t.Fatalf("artifact page %d: %+v", i, p)
		}
	}
	// One conversation reads its key alone, as before.
	if _, _, err := svc.FindMessages(ctx, tn.ID, convs[0].ID, convstore.MessageFilter{}); err != nil {
		t.Fatal(err)
	}
	if one, many := drv.reads(); one != 1 || many != 0 {
		t.Errorf("FindMessages: %d single key reads, %d batched; want 1 and 0", one, many)
	}
	// A key read with the others that does not unwrap fails the list.
	raw := (&env{dir: dir}).rawDB(t)
	if _, err := raw.Exec(`UPDATE conversation_keys SET wrapped_key = wrapped_key || x'00' WHERE conversation_id = ?`, convs[7].ID[:]); err != nil {
		t.Fatal(err)
	}
	_, err = svc.FindMessagePages(ctx, tn.ID, msgRanges)
	wantIntegrity(t, "a page with a damaged key", err)
	_, _, err = svc.FindConversationDigests(ctx, tn.ID, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: n}}, convstore.DigestOptions{Last: 1})
	wantIntegrity(t, "digests with a damaged key", err)
}
