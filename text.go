package convstore

import "unicode/utf8"

// Text fields refuse control characters at the domain boundary, in every
// engine and door alike: stored text reaches terminals (the CLI's tables),
// logs and other tools, where ESC starts a control sequence that can
// rewrite the screen and a newline forges a line of output. Single-line
// fields (titles, agent, user and external ids, author, key and tenant
// names, metadata keys and values) refuse every C0 control (U+0000 to
// U+001F), DEL and the C1 controls (U+0080 to U+009F, which some
// terminals also obey). Message content and artifact text are multi-line:
// they keep tab, newline and carriage return, since transcripts carry
// line breaks and Windows line endings are CRLF; a lone CR can only
// overwrite a line on a terminal, and the CLI prints it escaped.

// validText checks a single-line UTF-8 string of at most max bytes.
func validText(field, s string, max int) error {
	return checkText(field, s, max, false)
}

// validMultiline checks a multi-line UTF-8 string of at most max bytes.
func validMultiline(field, s string, max int) error {
	return checkText(field, s, max, true)
}

func checkText(field, s string, max int, multiline bool) error {
	if len(s) > max {
		return Invalidf(field, "%s must be at most %d bytes", field, max)
	}
	if !utf8.ValidString(s) {
		return Invalidf(field, "%s must be valid UTF-8", field)
	}
	if r, at, ok := controlChar(s, multiline); ok {
		if r == 0 {
			// PostgreSQL text cannot hold NUL either.
			return Invalidf(field, "%s must not contain NUL characters (at byte %d)", field, at)
		}
		if multiline {
			return Invalidf(field, "%s must not contain control characters other than tab, newline and carriage return (%U at byte %d)", field, r, at)
		}
		return Invalidf(field, "%s must not contain control characters (%U at byte %d)", field, r, at)
	}
	return nil
}

// controlChar returns the first control character of s that a field of
// its kind refuses, with its byte offset.
func controlChar(s string, multiline bool) (rune, int, bool) {
	for i, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			if multiline && (r == '\t' || r == '\n' || r == '\r') {
				continue
			}
			return r, i, true
		}
	}
	return 0, 0, false
}
