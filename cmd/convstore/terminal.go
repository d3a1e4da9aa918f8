package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Human-readable output shows stored text that any write key chose, and
// server messages: printed raw, an ESC sequence could clear an admin's
// screen, retitle the terminal or hide lines, and a newline could forge a
// table row. termSafe makes every such character visible instead:
// C0 controls and DEL as \x1b (\n, \r, \t by name), C1 controls, the
// Unicode line and paragraph separators and the bidirectional overrides
// (which reorder what is shown) as \u009b, and invalid UTF-8 bytes as
// \xff. A backslash is left as is, so ordinary text stays readable; the
// JSON output (--json) is JSON and escapes on its own.
func termSafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether s holds anything termSafe changes.
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports the non-ASCII runes a terminal may act on: C1
// controls, line and paragraph separators, and bidirectional formatting
// characters.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e || r == 0x200f || r == 0x061c:
		return true
	}
	return false
}
