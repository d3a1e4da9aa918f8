package postgres_test

import (
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// serverLogGlob is where a PostgreSQL on the same machine (Debian's
// packages, as in CI) writes its server log.
const serverLogGlob = "/var/log/postgresql/*.log"

// serverLog remembers where each readable server log file ended, to read
// what is written after.
type serverLog map[string]int64

// openServerLog returns the current ends of the readable server logs.
func openServerLog() serverLog {
	files, _ := filepath.Glob(serverLogGlob)
	l := serverLog{}
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			if fh, err := os.Open(f); err == nil {
				fh.Close()
				l[f] = st.Size()
			}
		}
	}
	return l
}

// since returns what the server logged after l was taken.
func (l serverLog) since(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	for f, off := range l {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		if _, err := fh.Seek(off, io.SeekStart); err == nil {
			io.Copy(&b, fh)
		}
		fh.Close()
	}
	return b.String()
}

// TestUniqueConflictsStayOutOfTheServerLog triggers every duplicate an
// expected request can cause and checks that each is ECONFLICT (or, for a
// sequence number or a replaced attachment, no error at all) and that no
// line of the PostgreSQL server log names the duplicate value: a unique
// violation's DETAIL line would ("Key (tenant_id, external_id)=(…, ext)
// already exists"), and server logs are kept long after a deletion.
func TestUniqueConflictsStayOutOfTheServerLog(t *testing.T) {
	t.Parallel()
	// The node draws its ids from newID, which the test makes repeat a
	// sequence number once.
	var newID atomic.Pointer[func() convstore.ID]
	plain := convstore.NewID
	newID.Store(&plain)
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{
		Service: service.Options{NewID: func() convstore.ID { return (*newID.Load())() }},
	})
	ctx := testCtx(t)
	logBefore := openServerLog()
	tag := strings.ToLower(convstore.NewID().Base32())
	tenant := mustTenant(t, ctx, db)
	op := convstore.DeleteParams{Door: "test"}

	// A duplicate external id, one after the other and two at once.
	extID := "ext-" + tag
	first, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{ExternalID: extID})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{ExternalID: extID})
	wantConflict(t, err, "a duplicate external id")
	raceID := "race-" + tag
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{ExternalID: raceID})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantConflict(t, err, "a duplicate external id created concurrently")
		}
	}
	if won != 1 {
		t.Errorf("%d of 4 concurrent creates with one external id succeeded, want 1", won)
	}

	// A duplicate tenant name, and a custom key some key already has.
	name := "tenant-" + tag
	if _, _, err := db.CreateTenant(ctx, name, op); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.CreateTenant(ctx, name, op)
	wantConflict(t, err, "a duplicate tenant name")
	secret := convstore.NewKeySecret()
	if _, _, err := db.CreateTenantWithKey(ctx, "keyed-"+tag, secret, op); err != nil {
		t.Fatal(err)
	}
	_, _, err = db.CreateTenantWithKey(ctx, "keyed-again-"+tag, secret, op)
	wantConflict(t, err, "a custom key some key already has")

	// A sequence number drawn twice, on a conversation with an external id:
	// a fresh one is drawn, and the external id is not taken for a clash.
	clash := first.ID
	clash[9] ^= 0xff
	drawn := 0
	clashing := func() convstore.ID {
		if drawn++; drawn == 1 {
			return clash
		}
		return convstore.NewID()
	}
	newID.Store(&clashing)
	second, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{ExternalID: "seq-" + tag})
	newID.Store(&plain)
	if err != nil || second.Seq == first.Seq {
		t.Fatalf("CreateConversation with a colliding seq: %v, %+v", err, second)
	}

	// An attachment put twice under one name, also at once: replaces.
	attName := "rec-" + tag + ".wav"
	for range 2 {
		if _, err := db.PutAttachment(ctx, tenant.ID, first.ID, &convstore.AttachmentPut{Name: attName, Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.PutAttachment(ctx, tenant.ID, first.ID, &convstore.AttachmentPut{Name: attName, Body: strings.NewReader("y")})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("concurrent puts of one attachment name: %v", err)
		}
	}

	// Access token hashes are random (200 bits): a duplicate cannot be
	// provoked; their insert has the same ON CONFLICT shape.

	logged := logBefore.since(t)
	if len(logBefore) == 0 {
		t.Skipf("no readable PostgreSQL server log at %s (the server runs elsewhere or as another user): "+
			"the conflicts were checked, their absence from the log was not", serverLogGlob)
	}
	// The check can fail: a unique violation let happen does reach the
	// log, with its value. PostgreSQL writes the line before it answers.
	canary := "canary-" + tag
	for i := range 2 {
		id := convstore.NewID()
		_, err := postgres.Pool(db.DB).Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, now())`, id[:], canary)
		if (i == 1) != (err != nil) {
			t.Fatalf("test bug: canary insert %d: %v", i, err)
		}
	}
	if !strings.Contains(logBefore.since(t), canary) {
		t.Skipf("the server log at %s did not show a deliberate unique violation: it is not this server's log; "+
			"the conflicts were checked, their absence from the log was not", serverLogGlob)
	}
	for _, value := range []string{extID, raceID, name, hex.EncodeToString(convstore.HashKeySecret(secret)), secret, "seq-" + tag, attName} {
		for _, line := range strings.Split(logged, "\n") {
			if strings.Contains(line, value) {
				t.Errorf("the server log names %q: %s", value, line)
			}
		}
	}
}

// wantConflict fails unless err is ECONFLICT.
func wantConflict(tb testing.TB, err error, what string) {
	tb.Helper()
	if convstore.ErrorCode(err) != convstore.ECONFLICT {
		tb.Errorf("%s: %v, want ECONFLICT", what, err)
	}
}
