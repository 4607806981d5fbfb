package resp

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/tidwall/redcon"
)

// The fast encoders must write exactly what redcon and strconv write.
func TestWriterEncodingMatchesRedcon(t *testing.T) {
	nums := []uint64{0, 1, 9, 10, 11, 42, 99, 100, 101, 999, 1000, 1001, 9999, 10000, 65535,
		1700000000000, 1795410648389, math.MaxInt64, math.MaxUint64 - 1, math.MaxUint64}
	for p := uint64(1); p < math.MaxUint64/10; p *= 10 {
		nums = append(nums, p-1, p, p+1)
	}
	for _, n := range nums {
		if got, want := string(appendUint(nil, n)), strconv.FormatUint(n, 10); got != want {
			t.Errorf("appendUint(%d) = %q", n, got)
		}
	}
	for _, n := range []int{-1, 0, 1, 9, 10, 99, 100, 999, 1000, 1001, 123456, math.MaxInt32, math.MaxInt64} {
		var w writer
		w.Array(n)
		if want := redcon.AppendArray(nil, n); !bytes.Equal(w.buf, want) {
			t.Errorf("Array(%d) = %q, want %q", n, w.buf, want)
		}
	}
	for _, size := range []int{0, 1, 9, 10, 99, 100, 999, 1000, 1024, 70000} {
		b := bytes.Repeat([]byte{'v'}, size)
		var w writer
		w.Bulk(b)
		if want := redcon.AppendBulk(nil, b); !bytes.Equal(w.buf, want) {
			t.Errorf("Bulk of %d bytes: %q..., want %q...", size, w.buf[:min(len(w.buf), 12)], want[:min(len(want), 12)])
		}
	}
	var w writer // one writer across IDs: the cached ms must follow ms changes
	for _, id := range [][2]uint64{{0, 0}, {0, 1}, {1, 0}, {1700000000000, 0}, {1700000000000, 99}, {1700000000000, 100},
		{1700000000001, 5}, {1700000000000, 5}, {math.MaxUint64, math.MaxUint64}, {5, math.MaxUint64}} {
		w.buf = w.buf[:0]
		w.ID(id[0], id[1])
		want := redcon.AppendBulkString(nil, strconv.FormatUint(id[0], 10)+"-"+strconv.FormatUint(id[1], 10))
		if !bytes.Equal(w.buf, want) {
			t.Errorf("ID(%d, %d) = %q, want %q", id[0], id[1], w.buf, want)
		}
	}
	w.buf = w.buf[:0]
	w.Entry(1700000000000, 7, [][]byte{[]byte("message"), []byte("hello")})
	if want := "*2\r\n$15\r\n1700000000000-7\r\n*2\r\n$7\r\nmessage\r\n$5\r\nhello\r\n"; string(w.buf) != want {
		t.Errorf("Entry = %q, want %q", w.buf, want)
	}
	for _, fields := range [][][]byte{
		{[]byte("a"), []byte("1"), []byte("b"), bytes.Repeat([]byte{'v'}, 1000)},
		{[]byte("message"), []byte("x"), []byte("more"), []byte("y")},
		{[]byte("messages"), []byte("x")},
		{[]byte("message"), nil},
	} {
		w.buf = w.buf[:0]
		w.Entry(1700000000000, 12, fields)
		want := redcon.AppendArray(nil, 2)
		want = redcon.AppendBulkString(want, "1700000000000-12")
		want = redcon.AppendArray(want, len(fields))
		for _, f := range fields {
			want = redcon.AppendBulk(want, f)
		}
		if !bytes.Equal(w.buf, want) {
			t.Errorf("Entry(%q) = %q, want %q", fields, w.buf, want)
		}
	}
	w.buf = w.buf[:0]
	w.Entry(1, 2, nil)
	if want := "*2\r\n$3\r\n1-2\r\n*0\r\n"; string(w.buf) != want {
		t.Errorf("Entry without fields = %q, want %q", w.buf, want)
	}
}

// BenchmarkWriterEntry encodes 100-byte PUBLISH entries, 1000 per ms, as
// XRANGE and XSTREAM do; compare with BenchmarkRedconEntry (the encoding
// before the fast paths).
func BenchmarkWriterEntry(b *testing.B) {
	fields := [][]byte{[]byte("message"), bytes.Repeat([]byte{'x'}, 100)}
	w := writer{buf: make([]byte, 0, 1<<20)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(w.buf) > 1<<20-200 {
			w.buf = w.buf[:0]
		}
		w.Entry(1700000000000+uint64(i/1000), uint64(i%1000), fields)
	}
}

func BenchmarkRedconEntry(b *testing.B) {
	fields := [][]byte{[]byte("message"), bytes.Repeat([]byte{'x'}, 100)}
	buf := make([]byte, 0, 1<<20)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(buf) > 1<<20-200 {
			buf = buf[:0]
		}
		buf = redcon.AppendArray(buf, 2)
		var tmp [41]byte
		id := strconv.AppendUint(tmp[:0], 1700000000000+uint64(i/1000), 10)
		id = append(id, '-')
		id = strconv.AppendUint(id, uint64(i%1000), 10)
		buf = redcon.AppendBulk(buf, id)
		buf = redcon.AppendArray(buf, len(fields))
		for _, f := range fields {
			buf = redcon.AppendBulk(buf, f)
		}
	}
}
