package delivery

import "unsafe"

// maxStarNesting is Redis's recursion limit for '*' in stringmatchlen.
const maxStarNesting = 1000

// Match reports whether name matches the Redis glob pattern, with the exact
// semantics of Redis's stringmatchlen (util.c) with nocase=0, as used by
// PSUBSCRIBE, PUBSUB CHANNELS, KEYS and SCAN MATCH.
//
// Matching is byte-wise: pattern and name are arbitrary bytes, not UTF-8.
//
//   - '*' matches any sequence of bytes, including the empty one; a run of
//     consecutive stars behaves like a single star.
//   - '?' matches exactly one byte.
//   - '[...]' matches one byte from a set. A leading '^' negates the set.
//     "x-y" is an inclusive range; a reversed range ("z-a") is the same as
//     the forward one. Inside the set '\' escapes the next byte (so "\]" and
//     "\-" are literals). ']' immediately after '[' (or "[^") closes an empty
//     set, so "[]" never matches and "[^]" matches any byte. A set that is
//     never closed is closed by the end of the pattern ("[abc" == "[abc]").
//     A range is recognised before the closing bracket is looked for, so in
//     "[a-]" the ']' is the end of the range a..']' and the set is
//     unterminated.
//   - '\x' outside a set matches x literally; a lone '\' at the end of the
//     pattern matches a literal '\'.
//   - Every other byte matches itself.
//
// Redis quirks reproduced on purpose:
//
//   - An empty name is matched only by the empty pattern: even "*" does not
//     match it (KEYS and SCAN short-circuit the literal pattern "*" before
//     calling the matcher, so callers that want that behaviour must do the
//     same).
//   - Range ends and the tested byte are compared as C chars, which are
//     signed on x86-64 (the platform Redis is overwhelmingly built for), so
//     bytes >= 0x80 sort before 0x00: "[a-\x80]" is the range -128..97,
//     matching 0x80-0xff and 0x00-'a' but not 'b'-0x7f. Ranges whose ends
//     are both below 0x80 or both at or above it behave as expected.
//   - Redis gives up (no match) when matching would recurse through more
//     than 1000 '*' groups. The matcher here is iterative, but it reports no
//     match in exactly the same cases: whenever the 1001st run of stars is
//     followed by anything other than the end of the pattern.
//
// The algorithm is the classic iterative glob matcher with a single
// backtrack point (the most recent star): every token other than '*'
// consumes exactly one byte, so when a later star is reached the earlier
// stars never need to absorb more bytes. This is exact and runs in
// O(len(pattern)*len(name)) time without recursion or allocation.
func Match(pattern, name []byte) bool {
	if len(name) == 0 {
		// Redis's main loop never runs for an empty string, so only the
		// empty pattern matches it.
		return len(pattern) == 0
	}

	var (
		pi, ni int // current positions in pattern and name
		stars  int // runs of stars passed so far
		// Backtrack point: starPi is the pattern position just after the
		// most recent run of stars (-1 if none), starNi the name position
		// where the text after that star is currently being tried.
		starPi = -1
		starNi int
	)
	for {
		if pi < len(pattern) {
			if pattern[pi] == '*' {
				for pi < len(pattern) && pattern[pi] == '*' {
					pi++
				}
				if pi == len(pattern) {
					return true // trailing star swallows the rest
				}
				stars++
				if stars > maxStarNesting {
					return false
				}
				starPi, starNi = pi, ni
				continue
			}
			if ni < len(name) {
				ok, next := matchToken(pattern, pi, name[ni])
				if ok {
					pi = next
					ni++
					continue
				}
			}
		} else if ni == len(name) {
			return true
		}
		// Mismatch: let the most recent star absorb one more byte.
		if starPi < 0 || starNi >= len(name) {
			return false
		}
		starNi++
		pi, ni = starPi, starNi
	}
}

// MatchString is Match for strings. It does not allocate.
func MatchString(pattern, name string) bool {
	return Match(stringBytes(pattern), stringBytes(name))
}

// IsPattern reports whether p contains a glob metacharacter ('*', '?', '['
// or '\'). If it does not, Match(p, name) is equivalent to p == name.
func IsPattern(p []byte) bool {
	for _, c := range p {
		switch c {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// stringBytes returns the bytes of s without copying. The result must not
// be modified.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// matchToken reports whether the single-byte token starting at p[i] (any
// token except '*') accepts c, and returns the index just past the token.
// The token's extent does not depend on c.
func matchToken(p []byte, i int, c byte) (bool, int) {
	switch p[i] {
	case '?':
		return true, i + 1
	case '[':
		return matchSet(p, i+1, c)
	case '\\':
		if i+1 < len(p) {
			i++
		}
		// A trailing lone backslash stands for itself.
		return p[i] == c, i + 1
	default:
		return p[i] == c, i + 1
	}
}

// matchSet evaluates the set whose body starts at p[i] (just after '[')
// against c and returns the index just past the set.
func matchSet(p []byte, i int, c byte) (bool, int) {
	negate := i < len(p) && p[i] == '^'
	if negate {
		i++
	}
	matched := false
	for {
		switch {
		case i == len(p):
			// Unterminated set: the end of the pattern closes it.
			return matched != negate, i
		case p[i] == '\\' && i+1 < len(p):
			if p[i+1] == c {
				matched = true
			}
			i += 2
		case p[i] == ']':
			return matched != negate, i + 1
		case i+2 < len(p) && p[i+1] == '-':
			// Ends compare as signed C chars; reversed ranges are swapped.
			lo, hi, x := int8(p[i]), int8(p[i+2]), int8(c)
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= x && x <= hi {
				matched = true
			}
			i += 3
		default:
			// Includes a lone '\' as the last byte of the pattern.
			if p[i] == c {
				matched = true
			}
			i++
		}
	}
}
