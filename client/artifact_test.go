package client_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
)

func TestArtifacts(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 2)
	msgs := f.mustMessages(t, cv.ID)
	score := 0.75
	sum, err := f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactSummary, Text: "The caller asked about billing.",
		MessageIDs: []convstore.ID{msgs[0].ID, msgs[1].ID}, Score: &score,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ID.IsZero() || sum.ConversationID != cv.ID || sum.Type != convstore.ArtifactSummary ||
		len(sum.MessageIDs) != 2 || sum.MessageIDs[1] != msgs[1].ID || sum.Score == nil || *sum.Score != 0.75 {
		t.Fatalf("created %+v", sum)
	}
	topic, err := f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactTopic, Data: json.RawMessage(`{"name":"billing"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(topic.Data) != `{"name":"billing"}` || topic.Text != "" {
		t.Fatalf("topic %+v", topic)
	}
	all, more, err := f.c.FindArtifacts(f.ctx, convstore.ID{}, cv.ID, convstore.ArtifactFilter{})
	if err != nil || more || len(all) != 2 || all[0].ID != sum.ID {
		t.Fatalf("list: %v, %d items", err, len(all))
	}
	topics, _, err := f.c.FindArtifacts(f.ctx, convstore.ID{}, cv.ID, convstore.ArtifactFilter{Type: convstore.ArtifactTopic})
	if err != nil || len(topics) != 1 || topics[0].ID != topic.ID {
		t.Fatalf("type filter: %v, %d items", err, len(topics))
	}
	page, more, err := f.c.FindArtifacts(f.ctx, convstore.ID{}, cv.ID, convstore.ArtifactFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || !more || len(page) != 1 {
		t.Fatalf("page: %v, %d items, more=%v", err, len(page), more)
	}
	for _, conv := range []convstore.ID{cv.ID, {}} {
		got, err := f.c.FindArtifactByID(f.ctx, convstore.ID{}, conv, sum.ID)
		if err != nil || got.Text != sum.Text || got.ConversationID != cv.ID {
			t.Fatalf("find in %s: %v %+v", conv.UUID(), err, got)
		}
	}
	if err := f.c.DeleteArtifact(f.ctx, convstore.ID{}, cv.ID, sum.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.FindArtifactByID(f.ctx, convstore.ID{}, cv.ID, sum.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteArtifact(f.ctx, convstore.ID{}, cv.ID, sum.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.ENOTFOUND, 404)

	_, err = f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{Type: "poem", Text: "x"})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "type" {
		t.Fatalf("field = %q, want type", ce.Err.Field)
	}
	_, err = f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Data: []byte("{")})
	wantLocal(t, err, convstore.EINVALID, "data")
	_, _, err = f.c.FindArtifacts(f.ctx, convstore.ID{}, cv.ID, convstore.ArtifactFilter{Type: "poem"})
	if ce := wantCode(t, err, convstore.EINVALID, 400); ce.Err.Field != "type" {
		t.Fatalf("field = %q, want type", ce.Err.Field)
	}
	_, err = f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "x", MessageIDs: []convstore.ID{convstore.NewID()}})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "message_ids" {
		t.Fatalf("field = %q, want message_ids", ce.Err.Field)
	}
	_, err = f.c.CreateArtifact(f.ctx, convstore.ID{}, convstore.NewID(), &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "x"})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}
