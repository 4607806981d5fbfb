package resp

import (
	"math"
	"slices"
	"strconv"

	"github.com/tidwall/redcon"
)

// writer encodes replies for one connection's protocol version. RESP2 types
// go through redcon's append functions; RESP3 types (maps, sets, nulls,
// doubles, booleans, pushes) are written here and degrade to their RESP2
// shapes when proto is 2, as Redis does.
//
// The hot reply shapes (array headers, bulk strings, stream IDs and
// entries, which XRANGE and XSTREAM write once per entry) are formatted here
// without strconv: lengths through a two-digits-at-a-time table, and an
// ID's milliseconds (shared by the thousands of entries appended in one ms)
// formatted once and reused while they repeat.
type writer struct {
	buf   []byte
	proto int
	errs  *errorTally // counts Error replies (a connection's writer); may be nil

	// idMs is the ms part that idPrefix[:idPrefixLen] ("<ms>-") spells;
	// idPrefixLen is 0 until the first ID.
	idMs        uint64
	idPrefixLen int
	idPrefix    [maxUintDigits + 1]byte
}

func (w *writer) Simple(s string) { w.buf = redcon.AppendString(w.buf, s) }
func (w *writer) OK()             { w.buf = append(w.buf, "+OK\r\n"...) }
func (w *writer) Error(s string) {
	w.buf = redcon.AppendError(w.buf, s)
	if w.errs != nil {
		w.errs.note(s)
	}
}
func (w *writer) Int(n int64) { w.buf = redcon.AppendInt(w.buf, n) }

// Bulk writes b as a bulk string.
func (w *writer) Bulk(b []byte) {
	w.buf = appendLenHeader(w.buf, '$', len(b))
	w.buf = append(w.buf, b...)
	w.buf = append(w.buf, '\r', '\n')
}

func (w *writer) BulkString(s string) { w.buf = redcon.AppendBulkString(w.buf, s) }

// Array starts an array of n elements.
func (w *writer) Array(n int) { w.buf = appendLenHeader(w.buf, '*', n) }

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
func (w *writer) ID(ms, seq uint64) { w.buf = w.appendID(w.buf, ms, seq) }

// appendID appends the bulk string "<ms>-<seq>".
func (w *writer) appendID(b []byte, ms, seq uint64) []byte {
	if w.idPrefixLen == 0 || ms != w.idMs {
		p := appendUint(w.idPrefix[:0], ms)
		p = append(p, '-')
		w.idMs, w.idPrefixLen = ms, len(p)
	}
	var tmp [maxUintDigits]byte
	s := appendUint(tmp[:0], seq)
	b = appendLenHeader(b, '$', w.idPrefixLen+len(s))
	b = append(b, w.idPrefix[:w.idPrefixLen]...)
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// Entry writes one stream entry as XRANGE replies it: [id, [field, value,
// ...]].
func (w *writer) Entry(ms, seq uint64, fields [][]byte) {
	// Grow once for the whole entry; then append to a local slice.
	need := 4 + 2*(maxUintDigits+4) + 2 + (1 + maxUintDigits + 2)
	for _, f := range fields {
		need += len(f) + 1 + maxUintDigits + 4
	}
	b := w.buf
	if cap(b)-len(b) < need {
		b = slices.Grow(b, need)
	}
	b = append(b, '*', '2', '\r', '\n')
	b = w.appendID(b, ms, seq)
	if len(fields) == 2 && string(fields[0]) == "message" {
		// A PUBLISH payload, by far the most common entry.
		b = append(b, "*2\r\n$7\r\nmessage\r\n"...)
		fields = fields[1:]
	} else {
		b = appendLenHeader(b, '*', len(fields))
	}
	for _, f := range fields {
		b = appendLenHeader(b, '$', len(f))
		b = append(b, f...)
		b = append(b, '\r', '\n')
	}
	w.buf = b
}

// maxUintDigits is the length of the longest uint64 in decimal.
const maxUintDigits = 20

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendUint appends n in decimal, as strconv.AppendUint(dst, n, 10) does.
func appendUint(dst []byte, n uint64) []byte {
	switch {
	case n < 10:
		return append(dst, byte('0'+n))
	case n < 100:
		return append(dst, digitPairs[n*2], digitPairs[n*2+1])
	case n < 1000:
		q := n / 100
		r := (n - q*100) * 2
		return append(dst, byte('0'+q), digitPairs[r], digitPairs[r+1])
	}
	var tmp [maxUintDigits]byte
	i := len(tmp)
	for n >= 100 {
		q := n / 100
		r := (n - q*100) * 2
		i -= 2
		tmp[i], tmp[i+1] = digitPairs[r], digitPairs[r+1]
		n = q
	}
	if n >= 10 {
		i -= 2
		tmp[i], tmp[i+1] = digitPairs[n*2], digitPairs[n*2+1]
	} else {
		i--
		tmp[i] = byte('0' + n)
	}
	return append(dst, tmp[i:]...)
}

// appendLenHeader appends "<kind><n>\r\n": an aggregate or bulk header (n
// is -1 for a RESP2 null).
func appendLenHeader(dst []byte, kind byte, n int) []byte {
	switch {
	case n < 0:
		dst = append(dst, kind)
		dst = strconv.AppendInt(dst, int64(n), 10)
		return append(dst, '\r', '\n')
	case n < 10:
		return append(dst, kind, byte('0'+n), '\r', '\n')
	case n < 100:
		return append(dst, kind, digitPairs[n*2], digitPairs[n*2+1], '\r', '\n')
	case n < 1000:
		q := n / 100
		r := (n - q*100) * 2
		return append(dst, kind, byte('0'+q), digitPairs[r], digitPairs[r+1], '\r', '\n')
	}
	dst = append(dst, kind)
	dst = appendUint(dst, uint64(n))
	return append(dst, '\r', '\n')
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
