package convstore_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestValidationNamesTheField(t *testing.T) {
	tooMany := convstore.Metadata{}
	for i := 0; i < 17; i++ {
		tooMany[strings.Repeat("k", i+1)] = "v"
	}
	neg := -time.Second
	nan := math.NaN()
	cases := []struct {
		name  string
		err   error
		field string
	}{
		{"title", (&convstore.ConversationCreate{Title: strings.Repeat("x", 513)}).Validate(), "title"},
		{"metadata pairs", (&convstore.ConversationCreate{Metadata: tooMany}).Validate(), "metadata"},
		{"metadata value", (&convstore.ConversationCreate{Metadata: convstore.Metadata{"a": strings.Repeat("v", 513)}}).Validate(), "metadata"},
		{"bad utf8", (&convstore.ConversationCreate{UserID: "\xff"}).Validate(), "user_id"},
		{"role", (&convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: "user", Content: "a"}, {Role: "bot", Content: "b"}}}).Validate(), "messages[1].role"},
		{"empty message", (&convstore.MessageCreate{Role: "user"}).Validate("m"), "m.content"},
		{"parts json", (&convstore.MessageCreate{Role: "user", Parts: json.RawMessage("{")}).Validate("m"), "m.parts"},
		{"offset", (&convstore.MessageCreate{Role: "user", Content: "a", StartOffset: &neg}).Validate("m"), "m.start_offset"},
		{"empty batch", convstore.ValidateMessageBatch("messages", nil, true), "messages"},
		{"artifact type", (&convstore.ArtifactCreate{Type: "nope", Text: "a"}).Validate(), "type"},
		{"artifact empty", (&convstore.ArtifactCreate{Type: convstore.ArtifactSummary}).Validate(), "text"},
		{"attachment name", (&convstore.AttachmentPut{Name: "../etc/passwd", Body: strings.NewReader("")}).Validate(), "name"},
		{"attachment type", (&convstore.AttachmentPut{Name: "a.wav", ContentType: "not a type", Body: strings.NewReader("")}).Validate(), "content_type"},
		{"key scopes", (&convstore.KeyCreate{Scopes: []convstore.Scope{"root"}}).Validate(), "scopes"},
		{"key secret", convstore.ValidateKeySecret("short"), "key"},
		{"tenant name", convstore.ValidateTenantName("   "), "name"},
		{"tenant name control", convstore.ValidateTenantName("a\tb"), "name"},
		{"NUL text", (&convstore.ConversationCreate{Title: "a\x00b"}).Validate(), "title"},
		{"NUL metadata", (&convstore.ConversationCreate{Metadata: convstore.Metadata{"k": "\x00"}}).Validate(), "metadata"},
		{"score NaN", (&convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "a", Score: &nan}).Validate(), "score"},
		{"limit", (&convstore.PageFilter{Limit: 101}).Normalize(convstore.OrderAsc), "limit"},
		{"order", (&convstore.PageFilter{Order: "sideways"}).Normalize(convstore.OrderAsc), "order"},
	}
	for _, c := range cases {
		if convstore.ErrorCode(c.err) != convstore.EINVALID || convstore.ErrorField(c.err) != c.field {
			t.Errorf("%s: got %v; want EINVALID on %s", c.name, c.err, c.field)
		}
	}
}

func TestValidInputPasses(t *testing.T) {
	start, end := time.Second, 2*time.Second
	c := &convstore.ConversationCreate{Title: "t", Metadata: convstore.Metadata{"k": "v"},
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi", StartOffset: &start, EndOffset: &end}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	k := &convstore.KeyCreate{Scopes: []convstore.Scope{"write", "read", "read"}}
	if err := k.Validate(); err != nil || len(k.Scopes) != 2 || k.Scopes[0] != convstore.ScopeRead {
		t.Fatalf("scopes not normalised: %v %v", k.Scopes, err)
	}
	p := &convstore.PageFilter{}
	if err := p.Normalize(convstore.OrderDesc); err != nil || p.Limit != convstore.DefaultPageLimit || p.Order != convstore.OrderDesc {
		t.Fatalf("defaults not applied: %+v %v", p, err)
	}
	a := &convstore.AttachmentPut{Name: "call-1.wav", Body: strings.NewReader("")}
	if err := a.Validate(); err != nil || a.ContentType != convstore.DefaultAttachmentContentType || a.MaxBytes != convstore.DefaultMaxAttachmentBytes {
		t.Fatalf("attachment defaults: %+v %v", a, err)
	}
}

func TestKeySecrets(t *testing.T) {
	s := convstore.NewKeySecret()
	if !strings.HasPrefix(s, convstore.KeySecretPrefix) || len(s) != 44 || convstore.ValidateKeySecret(s) != nil {
		t.Fatalf("bad secret %q", s)
	}
	if s == convstore.NewKeySecret() {
		t.Fatal("secrets repeat")
	}
	if p := convstore.KeyPrefix(s); len(p) != convstore.KeyPrefixLength || !strings.HasPrefix(s, p) {
		t.Fatalf("bad prefix %q", p)
	}
	k := &convstore.APIKey{Scopes: []convstore.Scope{convstore.ScopeRead}}
	if !k.Has(convstore.ScopeRead) || k.Has(convstore.ScopeDelete) {
		t.Fatal("Has is wrong for read key")
	}
	k.Scopes = []convstore.Scope{convstore.ScopeAdmin}
	if !k.Has(convstore.ScopeDelete) {
		t.Fatal("admin must imply delete")
	}
}

func TestErrorHelpers(t *testing.T) {
	wrapped := errors.Join(errors.New("context"), convstore.NotFound("conversation"))
	if convstore.ErrorCode(wrapped) != convstore.ENOTFOUND || convstore.ErrorMessage(wrapped) != "conversation not found" {
		t.Fatalf("wrapped error not recognised: %v", wrapped)
	}
	plain := errors.New("db exploded: secret detail")
	if convstore.ErrorCode(plain) != convstore.EINTERNAL || convstore.ErrorMessage(plain) != "Internal error." {
		t.Fatal("internal errors must not leak their message")
	}
	if convstore.ErrorCode(nil) != "" {
		t.Fatal("nil error has a code")
	}
}

// TestControlCharacters: single-line fields refuse C0, DEL and C1 controls;
// message content and artifact text keep tab, newline and CR only.
func TestControlCharacters(t *testing.T) {
	bad := []string{"\x1b[2J", "a\nb", "a\tb", "a\rb", "\x07", "a\x7fb", "a\u009bb", "a\u0085b"}
	for _, s := range bad {
		cases := []struct {
			name  string
			err   error
			field string
		}{
			{"title", (&convstore.ConversationCreate{Title: s}).Validate(), "title"},
			{"agent_id", (&convstore.ConversationCreate{AgentID: s}).Validate(), "agent_id"},
			{"user_id", (&convstore.ConversationCreate{UserID: s}).Validate(), "user_id"},
			{"external_id", (&convstore.ConversationCreate{ExternalID: s}).Validate(), "external_id"},
			{"update title", (&convstore.ConversationUpdate{Title: &s}).Validate(), "title"},
			{"filter user", (&convstore.ConversationFilter{UserID: s}).Validate(), "user_id"},
			{"metadata key", (&convstore.ConversationCreate{Metadata: convstore.Metadata{"k" + s: "v"}}).Validate(), "metadata"},
			{"metadata value", (&convstore.ConversationCreate{Metadata: convstore.Metadata{"k": s}}).Validate(), "metadata"},
			{"author", (&convstore.MessageCreate{Role: "user", Content: "x", AuthorName: s}).Validate("m"), "m.author_name"},
			{"key name", (&convstore.KeyCreate{Name: s, Scopes: []convstore.Scope{"read"}}).Validate(), "name"},
			{"tenant name", convstore.ValidateTenantName(s), "name"},
		}
		for _, c := range cases {
			if convstore.ErrorCode(c.err) != convstore.EINVALID || convstore.ErrorField(c.err) != c.field {
				t.Errorf("%s %q: got %v; want EINVALID on %s", c.name, s, c.err, c.field)
			}
		}
	}
	for _, s := range []string{"\x1b[31mred", "a\x00b", "\x07", "a\x0bb", "a\x0cb"} {
		if err := (&convstore.MessageCreate{Role: "user", Content: s}).Validate("m"); convstore.ErrorField(err) != "m.content" {
			t.Errorf("content %q: %v", s, err)
		}
		if err := (&convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: s}).Validate(); convstore.ErrorField(err) != "text" {
			t.Errorf("artifact text %q: %v", s, err)
		}
	}
	multi := "line one\r\n\tline two\nünïcödé, \u2028 and emoji 🎧"
	if err := (&convstore.MessageCreate{Role: "user", Content: multi}).Validate("m"); err != nil {
		t.Errorf("multi-line content refused: %v", err)
	}
	if err := (&convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: multi}).Validate(); err != nil {
		t.Errorf("multi-line artifact text refused: %v", err)
	}
	if err := (&convstore.ConversationCreate{Title: "Billing — call № 2 🎧", Metadata: convstore.Metadata{"lang": "fr-CA"}}).Validate(); err != nil {
		t.Errorf("printable single-line text refused: %v", err)
	}
	err := (&convstore.KeyCreate{Name: "\x1b[2J\nadmin", Scopes: []convstore.Scope{"read"}}).Validate()
	if msg := convstore.ErrorMessage(err); !strings.Contains(msg, "U+001B") || !strings.Contains(msg, "control characters") {
		t.Errorf("message does not say what is wrong: %q", msg)
	}
}
