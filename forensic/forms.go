package forensic

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
)

// A form is one way a canary's bytes may be written: as they are, or
// transcoded by a layer between the door and the disk (UTF-16 by a driver,
// hex for bytea, base64 for a binary field in JSON). Canaries are lower-case
// letters and digits, which JSON, SQL and URL escaping leave alone, so
// those escaped forms equal the raw one and need no form of their own.
type form struct {
	name string
	// needle is the encoded run prefix, with which every pattern of the
	// form starts.
	needle []byte
	// patterns maps each canary's encoding (the same length for every
	// canary of the form) to the canary.
	patterns map[string]*Canary
	length   int
}

// Form names, as reports show them.
const (
	FormRaw       = "raw"
	FormUTF16LE   = "utf16le"
	FormUTF16BE   = "utf16be"
	FormHexLower  = "hex"
	FormHexUpper  = "HEX"
	FormBase64    = "base64"
	FormBase64URL = "base64url"
)

// forms returns the forms the scanner looks for, with the patterns of
// every canary of s.
func (s *Set) forms() []*form {
	var out []*form
	add := func(name string, enc func(string) string, from int) {
		f := &form{name: name, patterns: map[string]*Canary{}}
		for _, c := range s.canaries {
			p := enc(c.Value[from:])
			f.length = len(p)
			if dup := sameAs(out, p); dup {
				continue // base64url equal to base64: one hit is enough
			}
			f.patterns[p] = c
		}
		// Encodings work byte by byte (hex, UTF-16 of ASCII) or group by
		// group (base64), so the prefix's encoding starts every pattern.
		f.needle = []byte(enc(s.prefix[from:]))
		out = append(out, f)
	}
	add(FormRaw, func(v string) string { return v }, 0)
	add(FormUTF16LE, func(v string) string { return utf16Bytes(v, false) }, 0)
	add(FormUTF16BE, func(v string) string { return utf16Bytes(v, true) }, 0)
	add(FormHexLower, func(v string) string { return hex.EncodeToString([]byte(v)) }, 0)
	add(FormHexUpper, func(v string) string { return strings.ToUpper(hex.EncodeToString([]byte(v))) }, 0)
	// In a base64 stream a canary's encoding depends on where it starts
	// within a 3-byte group. Skipping its first 0, 1 or 2 bytes aligns
	// the rest on a group: those groups encode the same whatever precedes
	// them.
	for skip := range 3 {
		for _, e := range []struct {
			name string
			enc  *base64.Encoding
		}{{FormBase64, base64.RawStdEncoding}, {FormBase64URL, base64.RawURLEncoding}} {
			groups := func(v string) string {
				n := len(v) / 3 * 3
				return e.enc.EncodeToString([]byte(v[:n]))
			}
			add(e.name, groups, skip)
		}
	}
	return out
}

// sameAs reports whether a form already made matches pattern p.
func sameAs(forms []*form, p string) bool {
	for _, f := range forms {
		if f.patterns[p] != nil {
			return true
		}
	}
	return false
}

// utf16Bytes encodes v as UTF-16, big- or little-endian.
func utf16Bytes(v string, big bool) string {
	units := utf16.Encode([]rune(v))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if big {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// maxPattern returns the longest pattern of any form.
func maxPattern(forms []*form) int {
	n := 0
	for _, f := range forms {
		n = max(n, f.length)
	}
	return n
}
