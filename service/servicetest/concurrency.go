package servicetest

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/convstore/convstore"
)

var concurrencyTests = []subtest{
	{"AppendVsDelete", testAppendVsDelete},
	{"DeleteVsDelete", testDeleteVsDelete},
	{"ConcurrentAppends", testConcurrentAppends},
	{"ConcurrentCreates", testConcurrentCreates},
	{"ConcurrentPutSameName", testConcurrentPutSameName},
}

// errList collects unexpected errors from goroutines.
type errList struct {
	mu   sync.Mutex
	errs []string
}

func (l *errList) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, fmt.Sprintf(format, args...))
}

func (l *errList) report(t *testing.T) {
	t.Helper()
	for _, e := range l.errs {
		t.Error(e)
	}
	if len(l.errs) > 0 {
		t.FailNow()
	}
}

// testAppendVsDelete races appends, artifact creates and attachment puts
// against a delete of the same conversation: each write either commits
// before the delete (and is counted in the receipt) or fails with
// ENOTFOUND, and nothing of the conversation remains.
func testAppendVsDelete(t *testing.T, f *fixture) {
	const rounds, appenders, batches, batchSize, initial = 50, 4, 2, 3, 2
	mixed := 0 // rounds in which some appends won and some lost
	defer func() { t.Logf("%d of %d rounds had appends both before and after the delete", mixed, rounds) }()
	for round := range rounds {
		conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("initial", initial)})
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			msgOK    int
			artOK    int
			attOK    int
			bytesOK  int64
			receipt  *convstore.Deletion
			failures errList
		)
		start := make(chan struct{})
		for g := range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for b := range batches {
					msgs, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, conv.ID, textMessages(fmt.Sprintf("g%d b%d", g, b), batchSize))
					switch {
					case err == nil && len(msgs) == batchSize:
						mu.Lock()
						msgOK++
						mu.Unlock()
					case err == nil:
						failures.add("round %d: CreateMessages returned %d messages, want %d", round, len(msgs), batchSize)
					case convstore.ErrorCode(err) != convstore.ENOTFOUND:
						failures.add("round %d: CreateMessages racing a delete: %v, want success or ENOTFOUND", round, err)
					}
				}
			}()
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			for i := range 2 {
				_, err := f.Store.CreateArtifact(f.ctx, f.tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: fmt.Sprint("topic ", i)})
				if err == nil {
					mu.Lock()
					artOK++
					mu.Unlock()
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					failures.add("round %d: CreateArtifact racing a delete: %v, want success or ENOTFOUND", round, err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			for i := range 2 {
				body := bytes.Repeat([]byte{byte('a' + i)}, 100+i)
				_, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: fmt.Sprintf("f%d.bin", i), Body: bytes.NewReader(body)})
				if err == nil {
					mu.Lock()
					attOK++
					bytesOK += int64(len(body))
					mu.Unlock()
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					failures.add("round %d: PutAttachment racing a delete: %v, want success or ENOTFOUND", round, err)
				}
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range round % 4 * 100 { // vary who wins
				runtime.Gosched()
			}
			d, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, conv.ID, f.params)
			if err != nil {
				failures.add("round %d: DeleteConversation racing appends: %v", round, err)
				return
			}
			receipt = d
		}()
		close(start)
		wg.Wait()
		failures.report(t)

		if msgOK > 0 && msgOK < appenders*batches {
			mixed++
		}
		if receipt.Messages != initial+batchSize*msgOK {
			t.Errorf("round %d: receipt counts %d messages; want %d initial + %d successful appends of %d = %d",
				round, receipt.Messages, initial, msgOK, batchSize, initial+batchSize*msgOK)
		}
		if receipt.Artifacts != artOK || receipt.Attachments != attOK || receipt.AttachmentBytes != bytesOK {
			t.Errorf("round %d: receipt counts %d artifacts, %d attachments, %d bytes; successful writes: %d, %d, %d",
				round, receipt.Artifacts, receipt.Attachments, receipt.AttachmentBytes, artOK, attOK, bytesOK)
		}
		if rows := nonZero(MustConversationRows(t, f.ctx, f.Harness, conv.ID)); len(rows) != 0 {
			t.Errorf("round %d: rows of the deleted conversation remain (orphans): %v", round, rows)
		}
		_, err := f.Store.FindConversationByID(f.ctx, f.tenant.ID, conv.ID)
		wantCode(t, err, convstore.ENOTFOUND, fmt.Sprintf("round %d: FindConversationByID after the race", round))
		if t.Failed() {
			return
		}
	}
	checkBlobKeys(t, f, "after every conversation was deleted", 0)
}

// testDeleteVsDelete races deletes of one conversation: exactly one wins,
// the others get ENOTFOUND, and exactly one receipt and audit entry exist.
func testDeleteVsDelete(t *testing.T, f *fixture) {
	const rounds, deleters = 10, 8
	for round := range rounds {
		conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 3)})
		MustPutAttachment(t, f.ctx, f.Store, f.tenant.ID, conv.ID, "x.bin", []byte("x"))
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			wins     []*convstore.Deletion
			failures errList
		)
		start := make(chan struct{})
		for range deleters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := f.Store.DeleteConversation(f.ctx, f.tenant.ID, conv.ID, f.params)
				if err == nil {
					mu.Lock()
					wins = append(wins, d)
					mu.Unlock()
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					failures.add("round %d: concurrent DeleteConversation: %v, want success or ENOTFOUND", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		failures.report(t)
		if len(wins) != 1 {
			t.Fatalf("round %d: %d of %d concurrent deletes succeeded, want exactly 1", round, len(wins), deleters)
		}
		if d := wins[0]; d.Messages != 3 || d.Attachments != 1 || d.AttachmentBytes != 1 {
			t.Errorf("round %d: receipt %+v, want 3 messages and 1 attachment of 1 byte", round, d)
		}
		list, _, err := f.Store.FindDeletions(f.ctx, f.tenant.ID, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != wins[0].ID {
			t.Errorf("round %d: %d receipts for the conversation, want exactly the winner's", round, len(list))
		}
		n := 0
		for _, e := range MustAuditEntries(t, f.ctx, f.Store, f.tenant.ID) {
			if e.Action == convstore.AuditConversationDelete && e.ConversationID == conv.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("round %d: %d conversation.delete audit entries, want 1", round, n)
		}
		if rows := nonZero(MustConversationRows(t, f.ctx, f.Harness, conv.ID)); len(rows) != 0 {
			t.Errorf("round %d: rows remain: %v", round, rows)
		}
	}
	checkBlobKeys(t, f, "after every conversation was deleted", 0)
}

// testConcurrentAppends appends to one conversation from many goroutines:
// no message and no count update may be lost.
func testConcurrentAppends(t *testing.T, f *fixture) {
	const writers, batches, batchSize = 8, 5, 2
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	var wg sync.WaitGroup
	var failures errList
	got := make([][]*convstore.Message, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				msgs, err := f.Store.CreateMessages(f.ctx, f.tenant.ID, conv.ID, textMessages(fmt.Sprintf("w%d b%d", g, b), batchSize))
				if err != nil {
					failures.add("writer %d batch %d: %v", g, b, err)
					return
				}
				got[g] = append(got[g], msgs...)
			}
		}()
	}
	wg.Wait()
	failures.report(t)
	for g, msgs := range got {
		for i := 1; i < len(msgs); i++ {
			if !msgs[i-1].ID.Less(msgs[i].ID) {
				t.Errorf("writer %d: message %d's ID is not after the previous one", g, i)
			}
		}
	}
	const total = writers * batches * batchSize
	if c := MustFindConversation(t, f.ctx, f.Store, f.tenant.ID, conv.ID); c.MessageCount != total {
		t.Errorf("MessageCount = %d after concurrent appends, want %d", c.MessageCount, total)
	}
	listed := mustConvState(t, f.ctx, f.Store, f.tenant.ID, conv.ID).Messages
	seen := map[convstore.ID]bool{}
	for _, m := range listed {
		seen[m.ID] = true
	}
	if len(listed) != total || len(seen) != total {
		t.Errorf("FindMessages lists %d messages (%d distinct), want %d", len(listed), len(seen), total)
	}
}

// testConcurrentCreates creates conversations from many goroutines: IDs and
// sequence numbers stay unique.
func testConcurrentCreates(t *testing.T, f *fixture) {
	const writers, each = 6, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures errList
	var convs []*convstore.Conversation
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				c, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("m", 1)})
				if err != nil {
					failures.add("concurrent CreateConversation: %v", err)
					return
				}
				mu.Lock()
				convs = append(convs, c)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	failures.report(t)
	ids, seqs := map[convstore.ID]bool{}, map[int64]bool{}
	for _, c := range convs {
		if ids[c.ID] || seqs[c.Seq] {
			t.Errorf("duplicate ID %s or Seq %d", c.ID.UUID(), c.Seq)
		}
		ids[c.ID], seqs[c.Seq] = true, true
		got, err := f.Store.FindConversationBySeq(f.ctx, f.tenant.ID, c.Seq)
		if err != nil || got.ID != c.ID {
			t.Errorf("FindConversationBySeq(%d): %v, %v; want %s", c.Seq, got, err, c.ID.UUID())
		}
	}
	listed := mustListAll(t, f.ctx, conversationLister(f, convstore.ConversationFilter{}), convID, convstore.OrderAsc)
	if len(listed) != writers*each {
		t.Errorf("FindConversations lists %d, want %d", len(listed), writers*each)
	}
}

// testConcurrentPutSameName puts one attachment name from many goroutines:
// one record remains, its bytes match its checksum, and no blob is orphaned.
func testConcurrentPutSameName(t *testing.T, f *fixture) {
	const writers = 6
	conv, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, nil)
	var wg sync.WaitGroup
	var failures errList
	bodies := map[string]bool{}
	for g := range writers {
		body := bytes.Repeat([]byte{byte('A' + g)}, 200+g)
		bodies[string(body)] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.Store.PutAttachment(f.ctx, f.tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "same.bin", Body: bytes.NewReader(body)}); err != nil {
				failures.add("concurrent PutAttachment: %v", err)
			}
		}()
	}
	wg.Wait()
	failures.report(t)
	st := mustConvState(t, f.ctx, f.Store, f.tenant.ID, conv.ID)
	if len(st.Attachments) != 1 {
		t.Fatalf("%d attachment records after concurrent puts of one name, want 1", len(st.Attachments))
	}
	a, b := st.Attachments[0], st.Bytes["same.bin"]
	if !bodies[string(b)] || a.Size != int64(len(b)) || a.SHA256 != sha256Hex(b) {
		t.Errorf("record %+v does not describe its bytes (%d bytes, sha256 %s)", a, len(b), sha256Hex(b))
	}
	checkBlobKeys(t, f, "after concurrent puts of one name", 1)
}
