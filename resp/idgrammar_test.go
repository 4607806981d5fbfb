package resp

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/broker"
)

// isDigitsAndDashes reports whether b is made only of ASCII digits and '-'.
func isDigitsAndDashes(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// refParseUint is an independent oracle for the ID number syntax, Redis's
// string2ull (checked against redis-server 7): a canonical negative number
// (string2ll's syntax) is refused; anything else must be accepted in full by
// C's strtoull: leading white space, an optional sign ('-' negates modulo
// 2^64), one or more digits (leading zeros allowed), no overflow.
func refParseUint(s []byte) (uint64, bool) {
	if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && v < 0 && strconv.FormatInt(v, 10) == string(s) {
		return 0, false
	}
	t := strings.TrimLeft(string(s), " \t\n\v\f\r")
	neg := t != "" && t[0] == '-'
	if t != "" && (t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	if t == "" || strings.TrimLeft(t, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if neg {
		v = -v
	}
	return v, err == nil
}

// FuzzParseID checks ParseID, ParseIDSpec and ParseRangeID on arbitrary
// bytes: they never panic, agree with an independent oracle, round-trip
// through ID.String, and fail with Redis's error values.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"0", "0-0", "0-1", "1-0", "1700000000000-0", "1700000000000-15", "1700000000000",
		"18446744073709551615-18446744073709551615", "18446744073709551616", "18446744073709551615-18446744073709551616",
		"00000000000000000001-1", "000000000000000000001", "-", "+", "$", ">", "*", "5-*", "-*", "*-5", "1-2-3",
		"(5", "(5-3", "(0-0", "(-", "(+", "(18446744073709551615-18446744073709551615", "((5", "", " 5", "5 ", "+5", "-5",
		"1_000", "0x10", "1e3", "١٢٣", "5-", "-5-", "--",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// ParseID, with both meanings of a missing sequence number.
		for _, missing := range []uint64{0, math.MaxUint64} {
			id, err := ParseID(b, missing)
			// The oracle. Redis reads at most 127 bytes, as a C string.
			var want broker.ID
			ok := false
			c := b
			if i := bytes.IndexByte(c, 0); i >= 0 {
				c = c[:i]
			}
			if i := bytes.IndexByte(c, '-'); len(b) <= 127 && i < 0 {
				want.Seq = missing
				want.Ms, ok = refParseUint(c)
			} else if len(b) <= 127 {
				var ok1, ok2 bool
				want.Ms, ok1 = refParseUint(c[:i])
				want.Seq, ok2 = refParseUint(c[i+1:])
				ok = ok1 && ok2
			}
			if ok != (err == nil) || (ok && id != want) {
				t.Fatalf("ParseID(%q, %d) = %v, %v; oracle says %v, ok=%v", b, missing, id, err, want, ok)
			}
			if err != nil {
				if isDigitsAndDashes(b) && !errors.Is(err, broker.ErrBadID) {
					t.Fatalf("ParseID(%q): error %v, want broker.ErrBadID", b, err)
				}
				continue
			}
			s := id.String()
			if string(id.Append([]byte("x"))) != "x"+s {
				t.Fatalf("Append and String disagree for %v", id)
			}
			again, err := ParseID([]byte(s), 0)
			if err != nil || again != id {
				t.Fatalf("ParseID(%q) = %v; ParseID(%q) = %v, %v", b, id, s, again, err)
			}
		}

		// ParseIDSpec.
		spec, err := ParseIDSpec(b)
		if err == nil {
			var formatted string
			switch {
			case spec.Auto:
				if string(b) != "*" {
					t.Fatalf("ParseIDSpec(%q) = auto", b)
				}
				formatted = "*"
			case spec.SeqAuto:
				formatted = strconv.FormatUint(spec.ID.Ms, 10) + "-*"
				if spec.ID.Seq != 0 {
					t.Fatalf("ParseIDSpec(%q) = %+v: seq set on a <ms>-* spec", b, spec)
				}
			default:
				if id, err := ParseID(b, 0); err != nil || id != spec.ID {
					t.Fatalf("ParseIDSpec(%q) = %+v, ParseID = %v, %v", b, spec, id, err)
				}
				formatted = spec.ID.String()
			}
			again, err := ParseIDSpec([]byte(formatted))
			if err != nil || again != spec {
				t.Fatalf("ParseIDSpec(%q) = %+v; ParseIDSpec(%q) = %+v, %v", b, spec, formatted, again, err)
			}
		} else if !errors.Is(err, broker.ErrBadID) {
			t.Fatalf("ParseIDSpec(%q): %v, want broker.ErrBadID", b, err)
		}

		// ParseRangeID.
		for _, end := range []bool{false, true} {
			id, err := ParseRangeID(b, end)
			if err != nil {
				if !errors.Is(err, broker.ErrBadID) && !errors.Is(err, broker.ErrBadStartInterval) && !errors.Is(err, broker.ErrBadEndInterval) {
					t.Fatalf("ParseRangeID(%q, %v): unexpected error %v", b, end, err)
				}
				continue
			}
			inner := b
			exclusive := len(b) > 1 && b[0] == '('
			if exclusive {
				inner = b[1:]
			}
			var plain broker.ID
			switch string(inner) {
			case "-":
				plain = broker.ID{}
			case "+":
				plain = broker.MaxID
			default:
				missing := uint64(0)
				if end {
					missing = math.MaxUint64
				}
				if plain, err = ParseID(inner, missing); err != nil {
					t.Fatalf("ParseRangeID(%q, %v) = %v but ParseID fails: %v", b, end, id, err)
				}
			}
			want := plain
			if exclusive {
				var ok bool
				if end {
					want, ok = plain.Prev()
				} else {
					want, ok = plain.Next()
				}
				if !ok {
					t.Fatalf("ParseRangeID(%q, %v) = %v past the end of the ID space", b, end, id)
				}
			}
			if id != want {
				t.Fatalf("ParseRangeID(%q, %v) = %v, want %v", b, end, id, want)
			}
		}
	})
}
