package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// BenchmarkKeptAppend measures what keeping the newest message on the
// conversation's row adds to an append: the same write transaction (the
// count bumped, one 1 KiB message inserted) with the row's kept values
// updated (as every append does) and without, taking turns into two
// conversations, durability as served (FULL, group commit). It reports
// each median and their ratio.
//
//	go test -run '^$' -bench KeptAppend -benchtime 3000x ./sqlite/
func BenchmarkKeptAppend(b *testing.B) {
	ctx := context.Background()
	svc, db := openBench(b, "FULL", maxBatch)
	tenant := mustTenant(b, svc)
	kept, bare := mustConversation(b, svc, tenant.ID, nil), mustConversation(b, svc, tenant.ID, nil)
	content := strings.Repeat("The caller asks about invoice 17 and a refund. ", 22)[:1024]
	start := time.Second
	appendTo := func(convID convstore.ID, keep bool) time.Duration {
		m := &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: convID, Role: convstore.RoleUser,
			Content: content, StartOffset: &start, CreatedAt: time.Now()}}
		began := time.Now()
		err := db.Write(ctx, driver.OnConversation(tenant.ID, convID), func(ctx context.Context, tx driver.Tx) error {
			if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: tenant.ID, ID: convID, Delta: 1, UpdatedAt: time.Now()}); err != nil {
				return err
			}
			if keep {
				return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenant.ID, ConversationID: convID, Messages: []*driver.MessageRow{m}})
			}
			o := tx.(*ops)
			_, err := o.run.exec(ctx, qMessageInsert, idArg(m.ID), idArg(tenant.ID), idArg(convID), string(m.Role),
				sealedArg(m.Content), jsonArg(m.Parts), sealedArg(m.AuthorName), durationArg(m.StartOffset),
				durationArg(m.EndOffset), bytesArg(m.Meta), micros(m.CreatedAt))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		return time.Since(began)
	}
	var with, without []time.Duration
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			with = append(with, appendTo(kept.ID, true))
			without = append(without, appendTo(bare.ID, false))
		} else {
			without = append(without, appendTo(bare.ID, false))
			with = append(with, appendTo(kept.ID, true))
		}
	}
	w, wo := medianOf(with), medianOf(without)
	b.ReportMetric(float64(w.Microseconds()), "kept-us/append")
	b.ReportMetric(float64(wo.Microseconds()), "bare-us/append")
	b.ReportMetric(float64(w)/float64(wo), "kept/bare")
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
