package seal

import "encoding/binary"

// aadDomain starts every encoded Context, so its bytes cannot be mistaken
// for additional data built some other way.
const aadDomain = "convstore/aad/v1"

// Context names the place a sealed value belongs to. Its encoding (AAD) is
// the additional data of the AEAD, so a value opens only with the Context it
// was sealed with: a value copied to another tenant, conversation, table,
// column or row fails with ErrIntegrity. Column may be qualified where one
// column holds several values (for example "metadata/" + key).
type Context struct {
	Tenant       string
	Conversation string
	Table        string
	Column       string
	Row          string
}

// AAD returns the unambiguous encoding of c: a domain string, then each
// field prefixed by its length, so no two different Contexts share an
// encoding ("ab"+"c" differs from "a"+"bc").
func (c Context) AAD() []byte {
	fields := [...]string{c.Tenant, c.Conversation, c.Table, c.Column, c.Row}
	n := len(aadDomain)
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	b := make([]byte, 0, n)
	b = append(b, aadDomain...)
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}
