package drivertest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var artifactTests = []test{
	{"RoundTripAndList", testArtifacts},
	{"Ranges", testArtifactRanges},
	{"TenantWide", testArtifactsTenantWide},
}

// testArtifactsTenantWide lists a tenant's artifacts across its live
// conversations (a zero ConversationID): never another tenant's, never a
// hidden conversation's.
func testArtifactsTenantWide(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c1, c2, hidden := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	cb := f.conversation(t, b.ID, nil)
	o1 := f.artifact(t, a.ID, c1.ID, convstore.ArtifactOther, "o1")
	f.artifact(t, a.ID, c1.ID, convstore.ArtifactTopic, "t1")
	o2 := f.artifact(t, a.ID, c2.ID, convstore.ArtifactOther, "o2")
	f.artifact(t, a.ID, hidden.ID, convstore.ArtifactOther, "gone")
	f.artifact(t, b.ID, cb.ID, convstore.ArtifactOther, "b")
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationHide(ctx, a.ID, hidden.ID)
		return err
	})
	list, err := f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, Type: convstore.ArtifactOther, Page: page(10, true)})
	must(t, err)
	if len(list) != 2 || list[0].ID != o2.ID || list[1].ID != o1.ID || list[0].ConversationID != c2.ID {
		t.Errorf("tenant-wide ArtifactList by type = %+v", list)
	}
	list, err = f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, Page: page(10, false)})
	must(t, err)
	if len(list) != 3 || list[0].ID != o1.ID {
		t.Errorf("tenant-wide ArtifactList = %+v", list)
	}
	list, err = f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, Page: page(1, false)})
	must(t, err)
	if len(list) < 1 || list[0].ID != o1.ID {
		t.Errorf("tenant-wide ArtifactList, one page = %+v", list)
	}
}

func testArtifacts(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	score := 0.5
	msgs := f.messages(t, a.ID, c.ID, 2)
	sum := &convstore.Artifact{ID: convstore.NewID(), ConversationID: c.ID, Type: convstore.ArtifactSummary, Text: "sum",
		Data: json.RawMessage(`{"a":1}`), MessageIDs: []convstore.ID{msgs[1].ID, msgs[0].ID}, Score: &score, CreatedAt: now()}
	topic := &convstore.Artifact{ID: convstore.NewID(), ConversationID: c.ID, Type: convstore.ArtifactTopic, Text: "t", CreatedAt: now()}
	for _, art := range []*convstore.Artifact{sum, topic} {
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, a.ID, art) })
	}
	got, err := f.drv.Reads().ArtifactGet(f.ctx, a.ID, c.ID, sum.ID)
	must(t, err)
	if got.Type != sum.Type || got.Text != "sum" || string(got.Data) != `{"a":1}` || !sameIDs(got.MessageIDs, sum.MessageIDs) ||
		got.Score == nil || *got.Score != 0.5 || !got.CreatedAt.Equal(sum.CreatedAt) {
		t.Errorf("ArtifactGet = %+v, want %+v", got, sum)
	}
	if got, err := f.drv.Reads().ArtifactGet(f.ctx, a.ID, convstore.ID{}, topic.ID); err != nil || got.Score != nil || got.MessageIDs != nil || got.Data != nil {
		t.Errorf("ArtifactGet of a bare artifact = %+v, %v", got, err)
	}
	_, err = f.drv.Reads().ArtifactGet(f.ctx, b.ID, convstore.ID{}, sum.ID)
	wantCode(t, "ArtifactGet from another tenant", err, convstore.ENOTFOUND, "artifact")
	list, err := f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, ConversationID: c.ID, Type: convstore.ArtifactTopic, Page: page(10, false)})
	must(t, err)
	if len(list) != 1 || list[0].ID != topic.ID {
		t.Errorf("ArtifactList by type = %v", list)
	}
	list, err = f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: a.ID, ConversationID: c.ID, Page: page(10, true)})
	must(t, err)
	if len(list) != 2 || list[0].ID != topic.ID {
		t.Errorf("ArtifactList descending = %v", list)
	}
	if list, _ := f.drv.Reads().ArtifactList(f.ctx, &driver.ArtifactListParams{TenantID: b.ID, ConversationID: c.ID, Page: page(10, false)}); len(list) != 0 {
		t.Errorf("another tenant lists %d artifacts", len(list))
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactDelete(ctx, b.ID, c.ID, sum.ID) })
	wantCode(t, "deleting another tenant's artifact", err, convstore.ENOTFOUND, "artifact")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactDelete(ctx, a.ID, c.ID, sum.ID) })
	_, err = f.drv.Reads().ArtifactGet(f.ctx, a.ID, c.ID, sum.ID)
	wantCode(t, "a deleted artifact", err, convstore.ENOTFOUND, "artifact")
}
