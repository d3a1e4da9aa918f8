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
