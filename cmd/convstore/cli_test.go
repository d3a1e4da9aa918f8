package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// wavBytes returns a mono 16-bit PCM WAV file of a 440 Hz tone.
func wavBytes(samples int) []byte {
	var b bytes.Buffer
	dataLen := samples * 2
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+dataLen))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, struct {
		Size               uint32
		Format, Channels   uint16
		Rate, ByteRate     uint32
		Align, BitsPerSamp uint16
	}{16, 1, 1, 8000, 16000, 2, 16})
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(dataLen))
	for i := range samples {
		binary.Write(&b, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*440*float64(i)/8000)))
	}
	return b.Bytes()
}

// compactJSON returns raw without insignificant space.
func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCLIDemo walks the whole life of a conversation through the CLI and
// the real server: create with messages, add messages, an artifact and an
// audio attachment, list, delete, then see 404s and the receipt.
func TestCLIDemo(t *testing.T) {
	t.Parallel()
	ts := startServer(t)

	// Create with two messages (wire JSON).
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create", "--title", "Billing call", "--agent-id", "agent-7",
		"--user-id", "user-42", "--metadata", "channel=voice",
		"--message", "user:Hello, my invoice is wrong", "--message", "assistant:Let me check that for you")
	if !strings.HasPrefix(conv.ID, "conv_") || conv.Title != "Billing call" || conv.MessageCount != 2 ||
		conv.Metadata["channel"] != "voice" || *conv.AgentID != "agent-7" {
		t.Fatalf("created %+v", conv)
	}
	id := conv.ID

	// The table form of get.
	out := ts.mustCLI(t, "conversations", "get", id)
	wantContains(t, "get", out, "id:", id, "title:", "Billing call", "messages:", "channel=voice")

	// Messages: --message, --file from stdin, list.
	out = ts.mustCLI(t, "messages", "add", id, "--message", "user:Thanks", "--author", "Dana")
	wantContains(t, "messages add", out, "ID", "ROLE", "user", "Dana", "Thanks")
	stdout, stderr, code := ts.cliWith(t, ts.key, strings.NewReader(`[{"role":"tool","content":"invoice 17 corrected","start_offset_ms":1200}]`),
		"messages", "add", id, "--file", "-", "--json")
	if code != 0 {
		t.Fatalf("messages add --file -: exit %d: %s", code, stderr)
	}
	wantContains(t, "messages add --file", stdout, `"role": "tool"`, `"start_offset_ms": 1200`)
	var msgs api.List[api.Message]
	ts.mustJSON(t, &msgs, "messages", "list", id)
	if len(msgs.Data) != 4 || msgs.Data[0].Content != "Hello, my invoice is wrong" || msgs.HasMore {
		t.Fatalf("messages %+v", msgs)
	}
	out = ts.mustCLI(t, "messages", "list", id, "--limit", "2")
	wantContains(t, "paged messages list", out, "(more: --after "+msgs.Data[1].ID+")")
	out = ts.mustCLI(t, "messages", "get", id, msgs.Data[3].ID)
	wantContains(t, "messages get", out, "role:", "tool", "start_offset:", "1.2s")

	// An artifact that refers to a message.
	var art api.Artifact
	ts.mustJSON(t, &art, "artifacts", "add", id, "--type", "summary", "--text", "Invoice 17 was corrected.",
		"--message-id", msgs.Data[0].ID, "--score", "0.9")
	if art.Type != "summary" || len(art.MessageIDs) != 1 || *art.Score != 0.9 {
		t.Fatalf("artifact %+v", art)
	}
	out = ts.mustCLI(t, "artifacts", "list", id)
	wantContains(t, "artifacts list", out, art.ID, "summary", "Invoice 17 was corrected.")
	ts.mustCLI(t, "artifacts", "add", id, "--type", "topic", "--data", `{"name":"billing"}`)
	var arts api.List[api.Artifact]
	ts.mustJSON(t, &arts, "artifacts", "list", id, "--type", "topic")
	if len(arts.Data) != 1 || compactJSON(t, arts.Data[0].Data) != `{"name":"billing"}` {
		t.Fatalf("topics %+v", arts)
	}

	// An audio attachment of a few KB, uploaded from a file and downloaded twice.
	audio := wavBytes(3000)
	sum := sha256.Sum256(audio)
	src := filepath.Join(t.TempDir(), "call.wav")
	if err := os.WriteFile(src, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	var att api.Attachment
	ts.mustJSON(t, &att, "attachments", "put", id, "call.wav", src, "--content-type", "audio/wav")
	if att.Size != int64(len(audio)) || att.SHA256 != hex.EncodeToString(sum[:]) || att.ContentType != "audio/wav" {
		t.Fatalf("attachment %+v", att)
	}
	out = ts.mustCLI(t, "attachments", "list", id)
	wantContains(t, "attachments list", out, att.ID, "call.wav", "audio/wav", "6044")
	dst := filepath.Join(t.TempDir(), "out.wav")
	out = ts.mustCLI(t, "attachments", "get", id, "call.wav", "--output", dst)
	wantContains(t, "attachments get -o", out, "sha256:", att.SHA256)
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	out = ts.mustCLI(t, "attachments", "get", id, "call.wav")
	if out != string(audio) {
		t.Fatalf("attachment on stdout has %d bytes, want %d", len(out), len(audio))
	}

	// The conversation appears in lists, table and JSON.
	out = ts.mustCLI(t, "conversations", "list")
	wantContains(t, "conversations list", out, "ID", "TITLE", id, "Billing call", "agent-7")
	var convs api.List[api.Conversation]
	ts.mustJSON(t, &convs, "conversations", "list", "--agent-id", "agent-7")
	if len(convs.Data) != 1 || convs.Data[0].ID != id || convs.Data[0].MessageCount != 4 || *convs.FirstID != id {
		t.Fatalf("list %+v", convs)
	}

	// Delete: the receipt counts everything, and nothing is left.
	out = ts.mustCLI(t, "conversations", "delete", id)
	wantContains(t, "delete", out, "deleted "+id, "receipt:", "del_", "messages:", "4", "artifacts:", "2",
		"attachments:", "1", "attachment_bytes:", "6044")
	for _, args := range [][]string{
		{"conversations", "get", id},
		{"messages", "list", id},
		{"artifacts", "list", id},
		{"attachments", "get", id, "call.wav"},
		{"conversations", "delete", id},
	} {
		_, stderr, code := ts.cli(t, args...)
		if code != 1 {
			t.Fatalf("%v after delete: exit %d, want 1", args, code)
		}
		wantContains(t, strings.Join(args, " ")+" stderr", stderr, "not found", "code: not_found", "status: 404", "request id: req_")
	}

	// The receipt.
	var dels api.List[api.Deletion]
	ts.mustJSON(t, &dels, "deletions", "list")
	if len(dels.Data) != 1 || dels.Data[0].ConversationID != id || dels.Data[0].Messages != 4 ||
		dels.Data[0].Attachments != 1 || dels.Data[0].Door != "native" {
		t.Fatalf("deletions %+v", dels)
	}
	var del api.Deletion
	ts.mustJSON(t, &del, "deletions", "get", dels.Data[0].ID)
	// The background purge may finish between the two reads.
	listed := dels.Data[0]
	if del.PurgedAt != nil && listed.PurgedAt == nil {
		listed.PurgedAt = del.PurgedAt
	}
	if !reflect.DeepEqual(del, listed) {
		t.Fatalf("deletions get %+v, want %+v", del, dels.Data[0])
	}
	out = ts.mustCLI(t, "deletions", "list", "--conversation-id", id)
	wantContains(t, "deletions list", out, "ID", "CONVERSATION", del.ID, id)
	out = ts.mustCLI(t, "deletions", "get", del.ID)
	wantContains(t, "deletions get", out, "receipt:", del.ID, "conversation_seq:", conv.Seq)
	out = ts.mustCLI(t, "audit", "list")
	wantContains(t, "audit list", out, "conversation.delete", id, del.ID)
}

// TestCLIChildDeletes covers deleting single messages, artifacts and
// attachments and updating a conversation.
func TestCLIChildDeletes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create", "--message", "user:one", "--message", "user:two")
	var upd api.Conversation
	ts.mustJSON(t, &upd, "conversations", "update", conv.ID, "--title", "Renamed", "--metadata", "k=v")
	if upd.Title != "Renamed" || upd.Metadata["k"] != "v" {
		t.Fatalf("updated %+v", upd)
	}
	var cleared api.Conversation
	ts.mustJSON(t, &cleared, "conversations", "update", conv.ID, "--clear-metadata")
	if cleared.Title != "Renamed" || len(cleared.Metadata) != 0 {
		t.Fatalf("cleared %+v", cleared)
	}

	var msgs api.List[api.Message]
	ts.mustJSON(t, &msgs, "messages", "list", conv.ID)
	var deleted api.Deleted
	ts.mustJSON(t, &deleted, "messages", "delete", conv.ID, msgs.Data[0].ID)
	if !deleted.Deleted || deleted.ID != msgs.Data[0].ID || deleted.Object != api.ObjectMessageDeleted {
		t.Fatalf("deleted %+v", deleted)
	}
	var art api.Artifact
	ts.mustJSON(t, &art, "artifacts", "add", conv.ID, "--type", "insight", "--text", "x")
	out := ts.mustCLI(t, "artifacts", "get", conv.ID, art.ID)
	wantContains(t, "artifacts get", out, "type:", "insight")
	out = ts.mustCLI(t, "artifacts", "delete", conv.ID, art.ID)
	wantContains(t, "artifacts delete", out, "deleted "+art.ID)

	_, stderr, code := ts.cliWith(t, ts.key, strings.NewReader("hello"), "attachments", "put", conv.ID, "notes.txt", "-")
	if code != 0 {
		t.Fatalf("attachments put -: exit %d: %s", code, stderr)
	}
	out = ts.mustCLI(t, "attachments", "delete", conv.ID, "notes.txt")
	wantContains(t, "attachments delete", out, "deleted attachment notes.txt")

	var dels api.List[api.Deletion]
	ts.mustJSON(t, &dels, "deletions", "list")
	if len(dels.Data) != 0 {
		t.Fatalf("child deletes wrote %d receipts", len(dels.Data))
	}
	var audit api.List[api.AuditEntry]
	ts.mustJSON(t, &audit, "audit", "list")
	// The three deletes, newest first, after the first start's two entries.
	if len(audit.Data) != 5 || audit.Data[0].Action != "attachment.delete" || audit.Data[2].Action != "message.delete" ||
		audit.Data[4].Action != "tenant.create" || audit.Data[4].Door != "bootstrap" {
		t.Fatalf("audit %+v", audit)
	}
}
