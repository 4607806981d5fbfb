package resp

import (
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// writer encodes replies for one connection's protocol version. RESP2 types
// go through redcon's append functions; RESP3 types (maps, sets, nulls,
// doubles, booleans, pushes) are written here and degrade to their RESP2
// shapes when proto is 2, as Redis does.
type writer struct {
	buf   []byte
	proto int
}

func (w *writer) Simple(s string) { w.buf = redcon.AppendString(w.buf, s) }
func (w *writer) OK()             { w.buf = append(w.buf, "+OK\r\n"...) }
func (w *writer) Error(s string)  { w.buf = redcon.AppendError(w.buf, s) }
func (w *writer) Int(n int64)     { w.buf = redcon.AppendInt(w.buf, n) }
func (w *writer) Bulk(b []byte)   { w.buf = redcon.AppendBulk(w.buf, b) }

func (w *writer) BulkString(s string) { w.buf = redcon.AppendBulkString(w.buf, s) }
func (w *writer) Array(n int)         { w.buf = redcon.AppendArray(w.buf, n) }

// Uint writes an unsigned integer, as a bulk string when it does not fit an
// int64 (Redis never replies such integers; IDs are strings).
func (w *writer) Uint(n uint64) {
	if n > math.MaxInt64 {
		w.BulkString(strconv.FormatUint(n, 10))
		return
	}
	w.Int(int64(n))
}

// Null is the null bulk string in RESP2 ($-1) and null in RESP3 (_).
func (w *writer) Null() {
	if w.proto >= 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "$-1\r\n"...)
}

// NullArray is the null array in RESP2 (*-1) and null in RESP3 (_).
func (w *writer) NullArray() {
	if w.proto >= 3 {
		w.buf = append(w.buf, "_\r\n"...)
		return
	}
	w.buf = append(w.buf, "*-1\r\n"...)
}

func (w *writer) header(kind byte, n int) {
	w.buf = append(w.buf, kind)
	w.buf = strconv.AppendInt(w.buf, int64(n), 10)
	w.buf = append(w.buf, '\r', '\n')
}

// Map starts a map of n pairs (a flat array of 2n in RESP2).
func (w *writer) Map(n int) {
	if w.proto >= 3 {
		w.header('%', n)
		return
	}
	w.Array(2 * n)
}

// Set starts a set of n elements (an array in RESP2).
func (w *writer) Set(n int) {
	if w.proto >= 3 {
		w.header('~', n)
		return
	}
	w.Array(n)
}

// Push starts an out-of-band push of n elements (an array in RESP2).
func (w *writer) Push(n int) {
	if w.proto >= 3 {
		w.header('>', n)
		return
	}
	w.Array(n)
}

// Double writes a double (a bulk string in RESP2).
func (w *writer) Double(f float64) {
	s := strconv.FormatFloat(f, 'g', 17, 64)
	if w.proto >= 3 {
		w.buf = append(w.buf, ',')
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Bool writes a boolean (the integer 1 or 0 in RESP2).
func (w *writer) Bool(b bool) {
	if w.proto >= 3 {
		if b {
			w.buf = append(w.buf, "#t\r\n"...)
		} else {
			w.buf = append(w.buf, "#f\r\n"...)
		}
		return
	}
	if b {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Verbatim writes a verbatim string of format "txt" (a bulk string in RESP2).
func (w *writer) Verbatim(s string) {
	if w.proto >= 3 {
		w.header('=', len(s)+4)
		w.buf = append(w.buf, "txt:"...)
		w.buf = append(w.buf, s...)
		w.buf = append(w.buf, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// ID writes a stream ID as a bulk string without allocating.
func (w *writer) ID(ms, seq uint64) {
	var tmp [41]byte
	b := strconv.AppendUint(tmp[:0], ms, 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, seq, 10)
	w.Bulk(b)
}

// insertArrayHeader inserts an array header for n elements at pos, in front
// of elements already written (for replies whose length is known only after
// writing them).
func (w *writer) insertArrayHeader(pos, n int) { w.insertHeader(pos, '*', n) }

// insertHeader inserts an aggregate header of the given type at pos.
func (w *writer) insertHeader(pos int, kind byte, n int) {
	var tmp [24]byte
	hdr := append(tmp[:0], kind)
	hdr = strconv.AppendInt(hdr, int64(n), 10)
	hdr = append(hdr, '\r', '\n')
	w.buf = append(w.buf, hdr...)
	copy(w.buf[pos+len(hdr):], w.buf[pos:len(w.buf)-len(hdr)])
	copy(w.buf[pos:], hdr)
}
