package wal

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

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
	typical := Meta{Length: 3, FirstID: ID{Ms: 1700000000000, Seq: 0}, LastID: ID{Ms: 1700000000005, Seq: 2}, MaxDeletedID: ID{Ms: 1700000000001, Seq: 0},
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
			Length: a, FirstID: ID{Ms: b, Seq: c}, LastID: ID{Ms: c, Seq: a}, MaxDeletedID: ID{Ms: a ^ b, Seq: b ^ c},
			EntriesAdded: a + b, Bytes: c, Retention: Retention{MaxAgeMs: x, MaxLen: y, MaxBytes: x ^ y},
			Tail: TailNode{Start: ID{Ms: a, Seq: b}, Last: ID{Ms: b, Seq: c}, Appended: a | c, Live: c, BaseBytes: b},
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
