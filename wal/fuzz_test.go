package wal

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
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
			var want ID
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
				if isDigitsAndDashes(b) && !errors.Is(err, ErrInvalidID) {
					t.Fatalf("ParseID(%q): error %v, want ErrInvalidID", b, err)
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
		} else if !errors.Is(err, ErrInvalidID) {
			t.Fatalf("ParseIDSpec(%q): %v, want ErrInvalidID", b, err)
		}

		// ParseRangeID.
		for _, end := range []bool{false, true} {
			id, err := ParseRangeID(b, end)
			if err != nil {
				if !errors.Is(err, ErrInvalidID) && !errors.Is(err, ErrInvalidStartInterval) && !errors.Is(err, ErrInvalidEndInterval) {
					t.Fatalf("ParseRangeID(%q, %v): unexpected error %v", b, end, err)
				}
				continue
			}
			inner := b
			exclusive := len(b) > 1 && b[0] == '('
			if exclusive {
				inner = b[1:]
			}
			var plain ID
			switch string(inner) {
			case "-":
				plain = ID{}
			case "+":
				plain = MaxID
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

// fieldsFrom cuts data into n fields (n even), the first named "message"
// when message is set.
func fieldsFrom(data []byte, n int, message bool) [][]byte {
	fields := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		lo, hi := len(data)*i/n, len(data)*(i+1)/n
		fields = append(fields, data[lo:hi])
	}
	if message && n >= 2 {
		fields[0] = MessageField
	}
	return fields
}

func sameFields(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// FuzzDecodeEntry: decodeEntry never panics on arbitrary bytes and what it
// accepts re-encodes to the same fields; encodeEntry then decodeEntry
// round-trips field lists built from the input, within encodedEntrySize.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(nil, [][]byte{MessageField, []byte("hello")}), uint8(2))
	f.Add(encodeEntry(nil, [][]byte{MessageField, nil}), uint8(2))
	f.Add(encodeEntry(nil, [][]byte{[]byte("temp"), []byte("21.5"), []byte("unit"), []byte("C")}), uint8(4))
	f.Add(encodeEntry(nil, [][]byte{[]byte(""), []byte(""), []byte("message"), []byte("x")}), uint8(0x84))
	f.Add(encodeEntry(nil, nil), uint8(0))
	f.Add([]byte{formatFields, 2, 0x80, 0x80}, uint8(6))
	f.Add([]byte{formatFields, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint8(1))
	f.Add([]byte{formatFields, 3, 1, 'a', 1, 'b', 1, 'c'}, uint8(1))
	f.Add([]byte{9, 'x'}, uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, shape uint8) {
		fields, err := decodeEntry(nil, data)
		if err == nil {
			if len(data) > 0 && data[0] == formatFields && len(fields)%2 != 0 {
				t.Fatalf("decoded an odd number of fields: %d", len(fields))
			}
			enc := encodeEntry(nil, fields)
			again, err := decodeEntry(nil, enc)
			if err != nil || !sameFields(fields, again) {
				t.Fatalf("decode(%x) = %q; re-encoded %x decodes to %q, %v", data, fields, enc, again, err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("decodeEntry(%x): %v, want ErrCorrupt", data, err)
		}

		// Round trip of a field list made from the input.
		n := 2 * int(shape%8)
		in := fieldsFrom(data, n, shape&0x80 != 0)
		prefix := []byte("prefix")
		enc := encodeEntry(bytes.Clone(prefix), in)
		if !bytes.HasPrefix(enc, prefix) {
			t.Fatal("encodeEntry overwrote dst")
		}
		enc = enc[len(prefix):]
		if len(enc) > encodedEntrySize(in) {
			t.Fatalf("encoded %d bytes, encodedEntrySize says %d", len(enc), encodedEntrySize(in))
		}
		out, err := decodeEntry([][]byte{[]byte("kept")}, enc)
		if err != nil {
			t.Fatalf("decode(encode(%q)): %v", in, err)
		}
		if len(out) == 0 || string(out[0]) != "kept" || !sameFields(in, out[1:]) {
			t.Fatalf("decode(encode(%q)) = %q", in, out)
		}
	})
}

// FuzzDecodeMeta: decodeMeta never panics on arbitrary bytes, what it accepts
// re-encodes to the same bytes' meaning, and encodeMeta then decodeMeta
// round-trips any Meta.
func FuzzDecodeMeta(f *testing.F) {
	typical := Meta{Length: 3, FirstID: ID{1700000000000, 0}, LastID: ID{1700000000005, 2}, MaxDeletedID: ID{1700000000001, 0},
		EntriesAdded: 5, Bytes: 120, Retention: Retention{MaxAgeMs: 3600_000, MaxLen: -1}}
	enc := encodeMeta(nil, &typical)
	f.Add(enc, uint64(3), uint64(1700000000000), uint64(2), int64(-1), int64(0))
	f.Add(enc[:len(enc)-1], uint64(0), uint64(0), uint64(0), int64(0), int64(0))
	f.Add(append(bytes.Clone(enc), 0), uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(math.MaxUint64), int64(math.MinInt64), int64(math.MaxInt64))
	f.Add(encodeMeta(nil, &Meta{}), uint64(1), uint64(1), uint64(1), int64(1), int64(1))
	f.Add([]byte{metaVersion}, uint64(0), uint64(0), uint64(0), int64(0), int64(0))
	f.Add([]byte{2, 0, 0}, uint64(0), uint64(0), uint64(0), int64(0), int64(0))
	f.Add([]byte{}, uint64(0), uint64(0), uint64(0), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, a, b, c uint64, x, y int64) {
		m, err := decodeMeta(data)
		if err == nil {
			again, err := decodeMeta(encodeMeta(nil, &m))
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("decodeMeta(%x) = %+v; after re-encoding %+v, %v", data, m, again, err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("decodeMeta(%x): %v, want ErrCorrupt", data, err)
		}

		in := Meta{
			Length: a, FirstID: ID{b, c}, LastID: ID{c, a}, MaxDeletedID: ID{a ^ b, b ^ c},
			EntriesAdded: a + b, Bytes: c, Retention: Retention{MaxAgeMs: x, MaxLen: y, MaxBytes: x ^ y},
			Tail: TailNode{Start: ID{a, b}, Last: ID{b, c}, Appended: a | c, Live: c, BaseBytes: b},
		}
		if len(data) > 0 {
			in.Tail.Fields = fieldNames([][]byte{data, nil, data[:len(data)/2], nil})
		}
		out, err := decodeMeta(encodeMeta([]byte("junk")[:0], &in))
		if err != nil || !reflect.DeepEqual(out, in) {
			t.Fatalf("round trip of %+v: %+v", in, out)
		}
	})
}
