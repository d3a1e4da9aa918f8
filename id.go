package convstore

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// ID is a 128-bit, time-ordered identifier laid out as a UUIDv7: 48 bits of
// Unix milliseconds, then version, random bits and variant. The zero ID means
// "none". Doors render it in their own formats: the native API as a typed
// prefix plus 26 Crockford base-32 characters (conv_01j…), Stammer as a UUID.
type ID [16]byte

// ID prefixes of the native API.
const (
	PrefixConversation = "conv"
	PrefixMessage      = "msg"
	PrefixArtifact     = "art"
	PrefixAttachment   = "att"
	PrefixDeletion     = "del"
	PrefixKey          = "key"
	PrefixTenant       = "ten"
	PrefixAudit        = "aud"
	PrefixHold         = "hold"
)

var idGen struct {
	sync.Mutex
	last ID
}

// NewID returns a new time-ordered ID. IDs made by one process are strictly
// increasing, even within one millisecond, so they also order insertions.
func NewID() ID {
	var id ID
	ms := uint64(time.Now().UnixMilli())
	idGen.Lock()
	defer idGen.Unlock()
	if _, err := rand.Read(id[6:]); err != nil {
		panic("convstore: crypto/rand failed: " + err.Error())
	}
	binary.BigEndian.PutUint64(id[0:8], ms<<16|uint64(binary.BigEndian.Uint16(id[6:8])))
	id[6] = 0x70 | id[6]&0x0f // version 7
	id[8] = 0x80 | id[8]&0x3f // RFC 9562 variant
	if !idGen.last.Less(id) {
		// Same millisecond (or a clock step back): continue after the last ID.
		id = idGen.last.next()
	}
	idGen.last = id
	return id
}

// next returns the ID after id in the random bits, keeping version and variant.
func (id ID) next() ID {
	n := id
	for i := 15; i >= 9; i-- {
		n[i]++
		if n[i] != 0 {
			return n
		}
	}
	// 56 random bits overflowed: bump the timestamp's last byte instead.
	n[5]++
	return n
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Less reports whether id sorts before o.
func (id ID) Less(o ID) bool {
	for i := range id {
		if id[i] != o[i] {
			return id[i] < o[i]
		}
	}
	return false
}

// Time returns the millisecond timestamp embedded in id.
func (id ID) Time() time.Time {
	ms := binary.BigEndian.Uint64(id[0:8]) >> 16
	return time.UnixMilli(int64(ms)).UTC()
}

// crockford is Crockford's base-32 alphabet in lower case; its characters are
// in ascending byte order, so encoded IDs sort like the raw bytes.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

var crockfordDec = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(crockford); i++ {
		t[crockford[i]] = byte(i)
		t[strings.ToUpper(crockford[i : i+1])[0]] = byte(i)
	}
	return t
}()

// Base32 returns id as 26 lower-case Crockford base-32 characters (130 bits,
// the top two always zero).
func (id ID) Base32() string {
	hi := binary.BigEndian.Uint64(id[0:8])
	lo := binary.BigEndian.Uint64(id[8:16])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Format renders id with a native prefix, as prefix + "_" + Base32.
func (id ID) Format(prefix string) string { return prefix + "_" + id.Base32() }

// UUID renders id in the canonical 8-4-4-4-12 hexadecimal form.
func (id ID) UUID() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// ParseBase32 parses 26 Crockford base-32 characters (either case).
func ParseBase32(s string) (ID, bool) {
	var id ID
	if len(s) != 26 {
		return id, false
	}
	var hi, lo uint64
	for i := 0; i < 26; i++ {
		v := crockfordDec[s[i]]
		if v == 0xff {
			return id, false
		}
		if i == 0 && v > 7 {
			return id, false // would overflow 128 bits
		}
		hi = hi<<5 | lo>>59
		lo = lo<<5 | uint64(v)
	}
	binary.BigEndian.PutUint64(id[0:8], hi)
	binary.BigEndian.PutUint64(id[8:16], lo)
	return id, true
}

// ParseID parses a native ID that must carry the given prefix. field names
// the input for the EINVALID error.
func ParseID(prefix, field, s string) (ID, error) {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok {
		return ID{}, Invalidf(field, "%s must be an id starting with %q", field, prefix+"_")
	}
	id, ok := ParseBase32(rest)
	if !ok || id.IsZero() {
		return ID{}, Invalidf(field, "%s is not a valid %s id", field, prefix)
	}
	return id, nil
}

// ParseUUID parses the canonical 8-4-4-4-12 hexadecimal form (either case).
func ParseUUID(s string) (ID, bool) {
	var id ID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return ID{}, false
	}
	return id, true
}

// MaxSeq is the largest sequence number NewSeq gives: 2^53-1, the largest
// integer a JavaScript number (an IEEE-754 double) holds exactly, so a
// client that parses JSON numbers into doubles (res.json()) keeps them
// exact. Conversations created before numbers were bounded keep their
// 63-bit numbers (up to 2^63-1), which such clients round.
const MaxSeq = 1<<53 - 1

// seqEpoch is the Unix millisecond time NewSeq counts from (2024-01-01
// UTC): 41 bits of milliseconds from it last until 2093.
const seqEpoch = 1704067200000

// NewSeq returns a conversation sequence number in 1..MaxSeq derived from
// id: its millisecond timestamp counted from 2024-01-01 UTC, shifted left
// by 12 bits, plus 12 random bits of id (a time before 2024 counts as
// 2024-01-01). Sequence numbers are time-ordered like IDs but, unlike a
// counter, reveal nothing about how many conversations other tenants have.
// Engines keep them unique and draw a fresh ID on a collision (two
// conversations in the same millisecond with the same 12 random bits).
// Numbers given before this scheme (ms<<21 plus 21 random bits, above
// 2^60) never collide with these.
func NewSeq(id ID) int64 {
	ms := int64(binary.BigEndian.Uint64(id[0:8])>>16) - seqEpoch
	r := int64(binary.BigEndian.Uint32(id[12:16]) & (1<<12 - 1))
	seq := (max(ms, 0)<<12 | r) & MaxSeq
	if seq == 0 {
		return 1
	}
	return seq
}
