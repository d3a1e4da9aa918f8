package sqlite

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// BenchmarkMigration0021 times migration 0021's backfill on a database of
// 100,000 conversations stored before it, each with 3 messages, a summary
// and an analysis (and an empty one in ten): what an upgrade waits for
// before serving. It reports the migration's time and its time per
// thousand conversations.
//
//	go test -run '^$' -bench Migration0021 -benchtime 1x ./sqlite/
func BenchmarkMigration0021(b *testing.B) {
	const convs = 100_000
	for b.Loop() {
		b.StopTimer()
		before := migratedTo(b, 20)
		tenant := convstore.NewID()
		tx, err := before.db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		exec := func(q string, args ...any) {
			if _, err := tx.Exec(q, args...); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 't', 1)`, idArg(tenant))
		for i := range convs {
			c := convstore.NewID()
			n := 3
			if i%10 == 0 {
				n = 0
			}
			exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1)`,
				idArg(c), i+1, idArg(tenant), n)
			if n == 0 {
				continue
			}
			for j := range n {
				exec(`INSERT INTO messages (id, tenant_id, conversation_id, role, content, start_offset, end_offset, created_at)
					VALUES (?, ?, ?, 'user', 'sealed content of some length', ?, ?, 1)`, idArg(convstore.NewID()), idArg(tenant), idArg(c), j*1000, j*1000+900)
			}
			exec(`INSERT INTO artifacts (id, tenant_id, conversation_id, type, text, created_at) VALUES (?, ?, ?, 'summary', 'a summary of the call', 1)`,
				idArg(convstore.NewID()), idArg(tenant), idArg(c))
			exec(`INSERT INTO artifacts (id, tenant_id, conversation_id, type, data, created_at) VALUES (?, ?, ?, 'analysis', '{"call_successful":"success"}', 1)`,
				idArg(convstore.NewID()), idArg(tenant), idArg(c))
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		before.upTo(21)
		took := time.Since(start)
		b.StopTimer()
		var filled int
		if err := before.db.QueryRow(`SELECT count(*) FROM conversations WHERE last_message_id IS NOT NULL AND summary_id IS NOT NULL AND analysis_id IS NOT NULL`).Scan(&filled); err != nil {
			b.Fatal(err)
		}
		if filled != convs-convs/10 {
			b.Fatalf("%d conversations filled, want %d", filled, convs-convs/10)
		}
		b.ReportMetric(took.Seconds(), "s/migration")
		b.ReportMetric(float64(took.Milliseconds())/(convs/1000), "ms/1000convs")
		before.close()
		b.StartTimer()
	}
}
