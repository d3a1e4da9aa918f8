package convstore_test

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestNewIDIsTimeOrderedAndStrictlyIncreasing(t *testing.T) {
	before := time.Now().Add(-time.Millisecond)
	prev := convstore.NewID()
	for i := 0; i < 100000; i++ {
		id := convstore.NewID()
		if !prev.Less(id) {
			t.Fatalf("id %d not after previous: %x <= %x", i, id, prev)
		}
		if s, p := id.Base32(), prev.Base32(); s <= p {
			t.Fatalf("base32 order differs from byte order: %s <= %s", s, p)
		}
		prev = id
	}
	if ts := prev.Time(); ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
		t.Fatalf("embedded time %v not near now", ts)
	}
	if prev[6]>>4 != 7 || prev[8]>>6 != 2 {
		t.Fatalf("not a UUIDv7 layout: %s", prev.UUID())
	}
}

func TestIDRoundTrips(t *testing.T) {
	for i := 0; i < 1000; i++ {
		id := convstore.NewID()
		s := id.Format(convstore.PrefixConversation)
		if !strings.HasPrefix(s, "conv_") || len(s) != 5+26 {
			t.Fatalf("bad format %q", s)
		}
		got, err := convstore.ParseID(convstore.PrefixConversation, "id", s)
		if err != nil || got != id {
			t.Fatalf("ParseID(%q) = %x, %v; want %x", s, got, err, id)
		}
		upper := "conv_" + strings.ToUpper(id.Base32())
		if got, err := convstore.ParseID(convstore.PrefixConversation, "id", upper); err != nil || got != id {
			t.Fatalf("upper-case parse failed: %v", err)
		}
		u, ok := convstore.ParseUUID(id.UUID())
		if !ok || u != id {
			t.Fatalf("ParseUUID(%q) = %x, %v", id.UUID(), u, ok)
		}
	}
	var max convstore.ID
	for i := range max {
		max[i] = 0xff
	}
	if got, ok := convstore.ParseBase32(max.Base32()); !ok || got != max {
		t.Fatalf("max id does not round-trip: %s", max.Base32())
	}
}

func TestParseIDRejects(t *testing.T) {
	good := convstore.NewID().Base32()
	cases := []string{
		"", "conv_", "conv" + good, "msg_" + good, "conv_" + good + "0", "conv_" + good[:25],
		"conv_8" + good[1:], // overflows 128 bits
		"conv_" + strings.Repeat("0", 26),
		"conv_" + good[:10] + "u" + good[11:], // u is not in Crockford's alphabet
		"conv_" + good[:10] + "!" + good[11:],
	}
	for _, s := range cases {
		_, err := convstore.ParseID(convstore.PrefixConversation, "conversation_id", s)
		if convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != "conversation_id" {
			t.Errorf("ParseID(%q) = %v; want EINVALID on conversation_id", s, err)
		}
	}
	for _, s := range []string{"", "0190c2f0-6c1e-7000-8000-00000000000", "0190c2f0x6c1e-7000-8000-000000000000", "zz90c2f0-6c1e-7000-8000-000000000000"} {
		if _, ok := convstore.ParseUUID(s); ok {
			t.Errorf("ParseUUID(%q) accepted", s)
		}
	}
}

func TestNewSeqIsPositiveAndTimeOrdered(t *testing.T) {
	a := convstore.NewID()
	time.Sleep(2 * time.Millisecond)
	b := convstore.NewID()
	sa, sb := convstore.NewSeq(a), convstore.NewSeq(b)
	if sa <= 0 || sb <= 0 {
		t.Fatalf("seq not positive: %d %d", sa, sb)
	}
	if sa >= sb {
		t.Fatalf("seq not time ordered: %d >= %d", sa, sb)
	}
	if sa > convstore.MaxSeq || sb > convstore.MaxSeq || float64(sb) != float64(sb-1)+1 {
		t.Fatalf("seq not exact in a double: %d %d", sa, sb)
	}
	if got := time.UnixMilli(sb>>12 + 1704067200000); got.Sub(b.Time()).Abs() > time.Millisecond {
		t.Fatalf("seq time %v != id time %v", got, b.Time())
	}
}

// FuzzParseID checks that parsing arbitrary ids and cursors never panics and
// that whatever parses formats back to the same id.
func FuzzParseID(f *testing.F) {
	f.Add("conv_" + convstore.NewID().Base32())
	f.Add("conv_7zzzzzzzzzzzzzzzzzzzzzzzzz")
	f.Add("conv_8zzzzzzzzzzzzzzzzzzzzzzzzz")
	f.Add("0190c2f0-6c1e-7000-8000-000000000000")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := convstore.ParseID(convstore.PrefixConversation, "after", s); err == nil {
			if back, err := convstore.ParseID(convstore.PrefixConversation, "after", id.Format(convstore.PrefixConversation)); err != nil || back != id {
				t.Fatalf("%q parsed to %x which does not round-trip", s, id)
			}
		} else if convstore.ErrorCode(err) != convstore.EINVALID {
			t.Fatalf("unexpected error code for %q: %v", s, err)
		}
		if id, ok := convstore.ParseUUID(s); ok {
			if back, ok := convstore.ParseUUID(id.UUID()); !ok || back != id {
				t.Fatalf("%q parsed to %x which does not round-trip", s, id)
			}
		}
	})
}

// TestNewSeqBounds checks the ends of the scheme: a time before 2024 and
// one in 2093 (the last year whose milliseconds fit) still give a number
// in 1..MaxSeq.
func TestNewSeqBounds(t *testing.T) {
	at := func(ms uint64, random uint32) convstore.ID {
		var id convstore.ID
		binary.BigEndian.PutUint64(id[0:8], ms<<16)
		binary.BigEndian.PutUint32(id[12:16], random)
		return id
	}
	for _, c := range []struct {
		name string
		id   convstore.ID
		want int64
	}{
		{"zero", convstore.ID{}, 1},
		{"1999", at(uint64(time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()), 0xfff), 0xfff},
		{"2024", at(uint64(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC).UnixMilli()), 0x1234), 1000<<12 | 0x234},
		{"2093", at(uint64(time.Date(2093, 9, 1, 0, 0, 0, 0, time.UTC).UnixMilli()), 0xffffffff), -1},
	} {
		got := convstore.NewSeq(c.id)
		if got < 1 || got > convstore.MaxSeq || (c.want > 0 && got != c.want) {
			t.Errorf("%s: NewSeq = %d, want %d in 1..%d", c.name, got, c.want, convstore.MaxSeq)
		}
	}
	maxSeq := int64(convstore.MaxSeq)
	if int64(float64(maxSeq)) != maxSeq || int64(float64(maxSeq+2)) == maxSeq+2 {
		t.Fatal("MaxSeq is not the largest integer a double holds exactly")
	}
}
