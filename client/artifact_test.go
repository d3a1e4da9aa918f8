package client_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
)

func TestArtifacts(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 2)
	msgs, _, err := f.c.ListMessages(f.ctx, cv.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	score := 0.75
	sum, err := f.c.CreateArtifact(f.ctx, cv.ID, &convstore.ArtifactCreate{
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
	topic, err := f.c.CreateArtifact(f.ctx, cv.ID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactTopic, Data: json.RawMessage(`{"name":"billing"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(topic.Data) != `{"name":"billing"}` || topic.Text != "" {
		t.Fatalf("topic %+v", topic)
	}

	all, more, err := f.c.ListArtifacts(f.ctx, cv.ID, convstore.ArtifactFilter{})
	if err != nil || more || len(all) != 2 || all[0].ID != sum.ID {
		t.Fatalf("list: %v, %d items", err, len(all))
	}
	topics, _, err := f.c.ListArtifacts(f.ctx, cv.ID, convstore.ArtifactFilter{Type: convstore.ArtifactTopic})
	if err != nil || len(topics) != 1 || topics[0].ID != topic.ID {
		t.Fatalf("type filter: %v, %d items", err, len(topics))
	}
	page, more, err := f.c.ListArtifacts(f.ctx, cv.ID, convstore.ArtifactFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || !more || len(page) != 1 {
		t.Fatalf("page: %v, %d items, more=%v", err, len(page), more)
	}

	got, err := f.c.GetArtifact(f.ctx, cv.ID, sum.ID)
	if err != nil || got.Text != sum.Text {
		t.Fatalf("get: %v %+v", err, got)
	}
	if err := f.c.DeleteArtifact(f.ctx, cv.ID, sum.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.c.GetArtifact(f.ctx, cv.ID, sum.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	err = f.c.DeleteArtifact(f.ctx, cv.ID, sum.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)

	_, err = f.c.CreateArtifact(f.ctx, cv.ID, &convstore.ArtifactCreate{Type: "poem", Text: "x"})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "type" {
		t.Fatalf("field = %q, want type", ce.Err.Field)
	}
	_, _, err = f.c.ListArtifacts(f.ctx, cv.ID, convstore.ArtifactFilter{Type: "poem"})
	wantCode(t, err, convstore.EINVALID, 400)
	_, err = f.c.CreateArtifact(f.ctx, convstore.NewID(), &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "x"})
	wantCode(t, err, convstore.ENOTFOUND, 404)
}
