package convstore

import (
	"math"
	"strings"
)

// MinCustomKeyBits is the strength a caller-chosen key secret must have
// after its prefix, by EstimateKeyBits: 128 bits, the strength of the
// SHA-256 hash it is stored as against a guessing attack, and 72 bits short
// of a generated key's 200.
const MinCustomKeyBits = 128

// WeakKeyAdvice ends the message of every key rejected as weak: how to make
// a good one.
const WeakKeyAdvice = "generate one with: openssl rand -hex 32"

// ValidateCustomKeySecret checks a caller-chosen key secret (the server's
// CONVSTORE_BOOTSTRAP_KEY, CreateTenantWithKey): ValidateKeySecret's
// length and characters, then at least MinCustomKeyBits of estimated
// randomness after its first KeyPrefixLength characters, the part logs and
// key lists never show.
//
// Every failure is EINVALID with Field "key" and a Message that starts
// with "key " and says what is wrong; a weak key's message ends with
// WeakKeyAdvice. Callers that read the key from somewhere else (an
// environment variable) name that place and keep the message, which
// never repeats the key.
func ValidateCustomKeySecret(secret string) error {
	if err := ValidateKeySecret(secret); err != nil {
		return err
	}
	if bits := EstimateKeyBits(secret[KeyPrefixLength:]); bits < MinCustomKeyBits {
		return Invalidf("key", "key is too weak: after its first %d characters (which logs show) it carries about %d bits of randomness, and at least %d are needed; %s",
			KeyPrefixLength, int(bits), MinCustomKeyBits, WeakKeyAdvice)
	}
	return nil
}

// EstimateKeyBits returns a conservative estimate of the random bits in s,
// for judging caller-chosen keys. It is a documented rule, not a password
// cracker's model:
//
//   - The alphabet is 10 when s is all digits, 16 when it is all
//     hexadecimal digits (of one case); otherwise the
//     sum of the classes s uses: 26 lower-case letters, 26 upper-case, 10
//     digits, 33 other printable characters. A character is worth
//     log2(alphabet) bits.
//   - Letters only (no digit or other character) look like words, which
//     carry about 2 bits a letter: each is worth 2 bits at most.
//   - A character is worth nothing when it repeats the one before ("aaa"),
//     continues a run of step one ("abc", "321"), or ends a three-character
//     group already seen earlier in s ("abcabc").
//
// Random keys lose a few percent to chance repeats and runs: 64 hex digits
// (openssl rand -hex 32) estimate at about 240 bits, a generated key's 40
// base-32 characters at about 200. Dictionary words mixed with digits or
// symbols are not recognised, so a long phrase can pass: generate keys,
// never compose them.
func EstimateKeyBits(s string) float64 {
	if s == "" {
		return 0
	}
	perChar := math.Log2(float64(alphabetSize(s)))
	if onlyLetters(s) {
		perChar = min(perChar, 2)
	}
	novel := 0
	for i := 0; i < len(s); i++ {
		switch {
		case i >= 1 && s[i] == s[i-1]:
		case i >= 2 && runOfOne(s[i-2], s[i-1], s[i]):
		case i >= 2 && strings.Contains(s[:i-1], s[i-2:i+1]):
		default:
			novel++
		}
	}
	return float64(novel) * perChar
}

// alphabetSize returns the size of the alphabet s seems drawn from.
func alphabetSize(s string) int {
	var lower, upper, digit, other, hex bool
	hex = true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
			hex = hex && c <= 'f'
		case c >= 'A' && c <= 'Z':
			upper = true
			hex = hex && c <= 'F'
		case c >= '0' && c <= '9':
			digit = true
		default:
			other = true
			hex = false
		}
	}
	switch {
	case !lower && !upper && !other:
		return 10
	case hex && !(lower && upper):
		return 16
	}
	n := 0
	for _, class := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
		if class.used {
			n += class.size
		}
	}
	return max(n, 2)
}

// onlyLetters reports whether s holds letters and nothing else.
func onlyLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// runOfOne reports whether a, b, c step by the same one up or down.
func runOfOne(a, b, c byte) bool {
	d := int(b) - int(a)
	return (d == 1 || d == -1) && int(c)-int(b) == d
}
