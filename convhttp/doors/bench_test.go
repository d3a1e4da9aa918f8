package doors_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// BenchmarkDoorDelete deletes 10-message conversations through each door
// (and the engine directly, as the baseline), so the doors' overhead shows
// as a ratio measured in one run:
//
//	go test -run '^$' -bench DoorDelete -benchtime 300x ./http/doors/
func BenchmarkDoorDelete(b *testing.B) {
	for _, d := range append([]door{{name: "engine"}}, allDoors...) {
		b.Run(d.name, func(b *testing.B) {
			env := doortest.New(b)
			s := doors.NewMainServer(env.Config())
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			w := &world{t: b, env: env, c: &doortest.Client{TB: b, URL: ts.URL, Server: s}, key: env.KeyA, ctx: context.Background()}
			convs := make([]*convstore.Conversation, b.N)
			for i := range convs {
				msgs := make([]*convstore.MessageCreate, 10)
				for j := range msgs {
					msgs[j] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: "message " + strconv.Itoa(j)}
				}
				c, _, err := env.Store.CreateConversation(w.ctx, env.TenantA, &convstore.ConversationCreate{AgentID: bot, Messages: msgs})
				if err != nil {
					b.Fatal(err)
				}
				convs[i] = c
			}
			b.ResetTimer()
			for _, c := range convs {
				if d.del == nil {
					if _, err := env.Store.DeleteConversation(w.ctx, env.TenantA, c.ID, convstore.DeleteParams{Door: "bench"}); err != nil {
						b.Fatal(err)
					}
					continue
				}
				if r := d.del(w, c); r.Status != 200 {
					b.Fatalf("%v", r)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deletes/s")
		})
	}
}
