package doors_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// Sizes of BenchmarkDoorList: a page of 100 conversations of 100
// messages each.
const (
	benchListConvs = 100
	benchListMsgs  = 100
)

// BenchmarkDoorList lists one page of 100 conversations of 100 messages
// through the native API and each door over HTTP, on SQLite and (with
// CONVSTORE_TEST_POSTGRES_URL) PostgreSQL, and reports each door's time
// per list as a ratio to the native list of the same page measured in the
// same run (x-native). The doors whose answer carries every message
// (Inkeep) or reads every message (Symbl, for its members) also report the
// ratio to the native reads of the same content: the list and each
// conversation's messages (x-native+msgs). kB/answer is the size of the
// list's answer (of native+msgs: the last messages page's).
//
//	go test -run '^$' -bench DoorList -benchtime 20x ./convhttp/doors/
func BenchmarkDoorList(b *testing.B) {
	engines := []struct {
		name string
		open func(b *testing.B) driver.Driver
	}{
		{"sqlite", func(b *testing.B) driver.Driver { return sqliteDriver(b) }},
		{"postgres", func(b *testing.B) driver.Driver {
			return pgtest.OpenSchema(b, pgtest.NewSchema(b), postgres.Options{MaxConns: 8})
		}},
	}
	for _, engine := range engines {
		b.Run(engine.name, func(b *testing.B) {
			if engine.name == "postgres" && os.Getenv(pgtest.EnvURL) == "" {
				b.Skip(pgtest.EnvURL + " not set")
			}
			w, _ := listWorld(b, engine.open(b))
			fillList(b, w, benchListConvs, benchListMsgs)
			convs, _, err := w.env.Store.FindConversations(w.ctx, w.env.TenantA, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: benchListConvs}})
			if err != nil || len(convs) != benchListConvs {
				b.Fatalf("%d conversations, %v", len(convs), err)
			}
			nativeWithMessages := func(w *world, n int) int {
				got := listed(w, "/v1/conversations?limit="+strconv.Itoa(n), "data", "Authorization", w.token("Bearer"))
				for _, c := range convs {
					if m := listed(w, "/v1/conversations/"+c.ID.Format(convstore.PrefixConversation)+"/messages?limit="+strconv.Itoa(benchListMsgs),
						"data", "Authorization", w.token("Bearer")); m != benchListMsgs {
						b.Fatalf("%d messages listed, want %d", m, benchListMsgs)
					}
				}
				return got
			}
			perList := map[string]float64{} // seconds per list
			run := func(name string, list func(w *world, n int) int) {
				b.Run(name, func(b *testing.B) {
					w.t, w.c.TB = b, b
					list(w, benchListConvs) // warm: the key's authentication, prepared statements
					size := w.listBytes
					b.ResetTimer()
					for range b.N {
						if n := list(w, benchListConvs); n != benchListConvs {
							b.Fatalf("%d conversations listed, want %d", n, benchListConvs)
						}
					}
					per := b.Elapsed().Seconds() / float64(b.N)
					perList[name] = per
					b.ReportMetric(per*1e3, "ms/list")
					b.ReportMetric(float64(size)/1e3, "kB/answer")
					if native := perList["native"]; native > 0 && name != "native" {
						b.ReportMetric(per/native, "x-native")
					}
					if all := perList["native+msgs"]; all > 0 && (name == "inkeep" || name == "symbl") {
						b.ReportMetric(per/all, "x-native+msgs")
					}
				})
			}
			run("native", listDoors[0].list)
			run("native+msgs", nativeWithMessages)
			for _, d := range listDoors[1:] {
				run(d.name, d.list)
			}
		})
	}
}
