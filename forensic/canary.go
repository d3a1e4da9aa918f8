package forensic

import (
	"crypto/rand"
	"fmt"
)

// alphabet is what canaries are made of: lower-case letters and digits are
// valid in every field of every door (ids, tag names, attachment names),
// and need no escaping in JSON, SQL literals or URLs, so a canary's raw
// bytes are the same in every place a field can land.
const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// Lengths of a canary: a run prefix shared by every canary of one run (the
// scanner searches for it), then a part of its own.
const (
	prefixLen = 12
	ownLen    = 12
	// CanaryLen is the length of every canary.
	CanaryLen = prefixLen + ownLen
)

// Canary is a unique random string written into one content field through
// one door. Finding it in a file means that field's plaintext is there.
type Canary struct {
	// Value is the string itself.
	Value string
	// Door is the door that wrote it: native, stammer, symbl, elevenlabs,
	// botpress or inkeep.
	Door string
	// Field names the content field, e.g. "message content".
	Field string
	// Deleted says whether its conversation is deleted during the run.
	Deleted bool
	// Kind says what sort of value holds it, which decides where an
	// engine puts it.
	Kind Kind
}

// Kind is the sort of value a canary is written in.
type Kind int

// Kinds of canaries.
const (
	// Text is a field's value as the door stores it.
	Text Kind = iota
	// LargeText is a value over PostgreSQL's 2 KB TOAST threshold.
	LargeText
	// AttachmentBytes are the bytes of an attachment: blob files with
	// SQLite, blob chunks (TOAST) with PostgreSQL.
	AttachmentBytes
	// Replaced is a value that a later update of the same field replaced.
	Replaced
	// NotStored is a field a door accepts but documents as not stored: it
	// must be found nowhere, sealed or not. (No door has one since
	// Botpress users became end-user records.)
	NotStored
)

// Stored reports whether the door keeps the canary's field.
func (c *Canary) Stored() bool { return c.Kind != NotStored }

// Label is the canary's door, field and fate, for reports.
func (c *Canary) Label() string {
	fate := "kept"
	if c.Deleted {
		fate = "deleted"
	}
	return c.Door + " / " + c.Field + " (" + fate + ")"
}

// Set is the canaries of one run. Every canary of a set shares its prefix,
// which is random per run, so a canary of an earlier run (still lingering
// in a shared PostgreSQL's WAL, say) is never mistaken for one of this run.
type Set struct {
	prefix   string
	canaries []*Canary
	byValue  map[string]*Canary
}

// NewSet returns an empty set with a fresh random prefix.
func NewSet() *Set {
	return &Set{prefix: randomString(prefixLen), byValue: map[string]*Canary{}}
}

// Prefix returns the prefix every canary of the set starts with.
func (s *Set) Prefix() string { return s.prefix }

// New adds a canary of kind for field of door and returns its value.
// deleted says whether the run deletes the conversation that holds it.
func (s *Set) New(door, field string, deleted bool, kind Kind) string {
	for {
		v := s.prefix + randomString(ownLen)
		if s.byValue[v] != nil {
			continue
		}
		// A field that is not stored belongs to no conversation.
		c := &Canary{Value: v, Door: door, Field: field, Deleted: deleted && kind != NotStored, Kind: kind}
		s.canaries = append(s.canaries, c)
		s.byValue[v] = c
		return v
	}
}

// Canaries returns the canaries in the order they were made.
func (s *Set) Canaries() []*Canary { return s.canaries }

// Lookup returns the canary whose value is v, or nil.
func (s *Set) Lookup(v string) *Canary { return s.byValue[v] }

// randomString returns n random characters of alphabet.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("forensic: crypto/rand failed: %v", err))
	}
	for i := range b {
		// 256 = 7*36 + 4: the bias toward the first four characters is
		// harmless for canaries.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
