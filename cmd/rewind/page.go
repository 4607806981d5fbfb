package main

import (
	"errors"
	"fmt"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// span locates bytes of a page relative to the page's first byte.
type span struct{ off, len int }

// page indexes one reply of stream entries (XRANGE, XREVRANGE or XREAD on
// one stream), read with respclient's ReadWith: nothing is copied, the index
// holds offsets into the reply's bytes, which stay in the reader's buffer
// until the next read (or in a copy, after keep). Its slices are reused from
// page to page, so reading one allocates nothing once warm. Pages are the
// hot path of replay, where indexing in place costs about half of parsing
// the reply into values.
type page struct {
	buf    []byte // the reply
	n      int    // entries
	size   int    // bytes of the reply
	ids    []span // per entry
	first  []int  // per entry: index in fields of its first field
	fields []span // names and values, all entries in order
	views  [][]byte

	// While the reply arrives:
	xread  bool
	headed bool // the header is parsed: count entries start at pos
	count  int
	pos    int
}

func (pg *page) reset(xread bool) {
	pg.buf, pg.n, pg.size = nil, 0, 0
	pg.ids, pg.first, pg.fields = pg.ids[:0], pg.first[:0], pg.fields[:0]
	pg.xread, pg.headed, pg.count, pg.pos = xread, false, 0, 0
}

// id returns entry i's ID.
func (pg *page) id(i int) []byte {
	s := pg.ids[i]
	return pg.buf[s.off : s.off+s.len]
}

// entry returns entry i's ID and fields. The fields slice is reused by the
// next call.
func (pg *page) entry(i int) (id []byte, fields [][]byte) {
	to := len(pg.fields)
	if i+1 < pg.n {
		to = pg.first[i+1]
	}
	pg.views = pg.views[:0]
	for _, f := range pg.fields[pg.first[i]:to] {
		pg.views = append(pg.views, pg.buf[f.off:f.off+f.len])
	}
	return pg.id(i), pg.views
}

// keep copies the page's reply into *dst (reusing it) and points the page
// there, so that other replies can be read while it is used.
func (pg *page) keep(dst *[]byte) {
	*dst = append((*dst)[:0], pg.buf...)
	pg.buf = *dst
}

// readPage reads one whole entries reply into pg. With xread the reply is
// XREAD's (a null array, when it timed out, is a page of no entries). An
// error reply is returned as a *respclient.ReplyError; the connection stays
// usable.
func readPage(rd *respclient.Reader, pg *page, xread bool) error {
	pg.reset(xread)
	buf, err := rd.ReadWith(pg.parse)
	pg.buf = buf
	if err != nil {
		pg.reset(xread)
	}
	return err
}

// parse indexes as much of the reply at the start of b as has arrived: it
// returns the reply's size once it is whole (0 until then).
func (pg *page) parse(b []byte) (int, error) {
	if !pg.headed {
		n, count, err := parsePageHeader(b, pg.xread)
		if err != nil {
			var re *respclient.ReplyError
			if errors.As(err, &re) {
				return n, err // the error line: the connection stays usable
			}
			return 0, err
		}
		if n == 0 {
			return 0, nil
		}
		pg.headed, pg.count, pg.pos = true, count, n
	}
	for pg.n < pg.count {
		n, err := pg.parseEntry(b, pg.pos)
		if n == 0 || err != nil {
			return 0, err
		}
		pg.pos += n
		pg.n++
	}
	pg.size = pg.pos
	return pg.pos, nil
}

// parsePageHeader parses what precedes the entries of a reply: the array
// header (XRANGE), or the stream list, stream pair and name (XREAD). It
// returns the bytes used (0: incomplete) and the entry count. An error
// reply is returned as a *replyError with the bytes of its line.
func parsePageHeader(b []byte, xread bool) (used, count int, err error) {
	if len(b) > 0 && b[0] == '-' {
		line, next := scanLine(b)
		if next == 0 {
			return 0, 0, nil
		}
		return next, 0, &respclient.ReplyError{Message: string(line[1:])}
	}
	pos := 0
	if xread {
		streams, next, err := parseHeader(b, 0, '*')
		if next <= 0 || err != nil {
			return 0, 0, err
		}
		if streams == -1 {
			return next, 0, nil
		}
		if streams != 1 {
			return 0, 0, fmt.Errorf("%w: XREAD replied with %d streams", errProtocol, streams)
		}
		pair, next2, err := parseHeader(b, next, '*')
		if next2 <= 0 || err != nil {
			return 0, 0, err
		}
		if pair != 2 {
			return 0, 0, fmt.Errorf("%w: XREAD stream reply of %d elements", errProtocol, pair)
		}
		nameLen, next3, err := parseHeader(b, next2, '$')
		if next3 <= 0 || err != nil {
			return 0, 0, err
		}
		if nameLen < 0 {
			return 0, 0, fmt.Errorf("%w: XREAD stream without a name", errProtocol)
		}
		if pos = next3 + nameLen + 2; pos > len(b) {
			return 0, 0, nil
		}
	}
	count, next, err := parseHeader(b, pos, '*')
	if next <= 0 || err != nil {
		return 0, 0, err
	}
	if count < 0 {
		return 0, 0, fmt.Errorf("%w: null entries array", errProtocol)
	}
	return next, count, nil
}

// parseEntry indexes one entry, [id, [name, value, ...]], at b[pos:]. It
// returns the bytes used, or 0 (and leaves pg as it was) if the entry is
// incomplete.
func (pg *page) parseEntry(b []byte, pos int) (int, error) {
	nf := len(pg.fields)
	n, err := pg.parseEntryAt(b, pos)
	if n == 0 || err != nil {
		pg.fields = pg.fields[:nf]
		return 0, err
	}
	return n, nil
}

func (pg *page) parseEntryAt(b []byte, pos int) (int, error) {
	two, i, err := parseHeader(b, pos, '*')
	if i <= 0 || err != nil {
		return 0, err
	}
	if two != 2 {
		return 0, fmt.Errorf("%w: stream entry of %d elements", errProtocol, two)
	}
	id, i, err := parseBulk(b, i)
	if i <= 0 || err != nil {
		return 0, err
	}
	if id.len < 0 {
		return 0, fmt.Errorf("%w: null entry ID", errProtocol)
	}
	nfields, i, err := parseHeader(b, i, '*')
	if i <= 0 || err != nil {
		return 0, err
	}
	first := len(pg.fields)
	for k := 0; k < nfields; k++ { // a null array (-1) is an entry without fields
		var f span
		if f, i, err = parseBulk(b, i); i <= 0 || err != nil {
			return 0, err
		}
		f.len = max(f.len, 0) // a null bulk reads as empty
		pg.fields = append(pg.fields, f)
	}
	pg.ids = append(pg.ids[:pg.n], id)
	pg.first = append(pg.first[:pg.n], first)
	return i - pos, nil
}

// parseBulk parses a bulk string at b[pos:] and returns where its bytes are
// and the index after it (0: incomplete). A null bulk has length -1.
func parseBulk(b []byte, pos int) (span, int, error) {
	n, i, err := parseHeader(b, pos, '$')
	if i <= 0 || err != nil {
		return span{}, 0, err
	}
	if n < 0 {
		return span{off: i, len: -1}, i, nil
	}
	end := i + n + 2
	if end > len(b) || end < i {
		return span{}, 0, nil
	}
	if b[end-2] != '\r' || b[end-1] != '\n' {
		return span{}, 0, fmt.Errorf("%w: bulk string not followed by CRLF", errProtocol)
	}
	return span{off: i, len: n}, end, nil
}

// parseHeader parses "<kind><int>\r\n" at b[pos:], where the int is a length
// (-1 for null). It returns the int and the index after the line, or next
// == 0 if the line is incomplete.
func parseHeader(b []byte, pos int, kind byte) (n, next int, err error) {
	if pos >= len(b) {
		return 0, 0, nil
	}
	if b[pos] != kind {
		if b[pos] == '-' {
			line, next := scanLine(b[pos:])
			if next == 0 {
				return 0, 0, nil
			}
			return 0, 0, &respclient.ReplyError{Message: string(line[1:])}
		}
		return 0, 0, fmt.Errorf("%w: expected %q, got %q", errProtocol, kind, b[pos])
	}
	i := pos + 1
	if i < len(b) && b[i] == '-' { // only -1 is valid
		if len(b) < i+4 {
			return 0, 0, nil
		}
		if b[i+1] == '1' && b[i+2] == '\r' && b[i+3] == '\n' {
			return -1, i + 4, nil
		}
		return 0, 0, fmt.Errorf("%w: bad length", errProtocol)
	}
	start := i
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			n = n*10 + int(c-'0')
			if i-start > 10 {
				return 0, 0, fmt.Errorf("%w: length too large", errProtocol)
			}
			continue
		}
		if c != '\r' || i == start {
			return 0, 0, fmt.Errorf("%w: bad length", errProtocol)
		}
		if i+1 >= len(b) {
			return 0, 0, nil
		}
		if b[i+1] != '\n' {
			return 0, 0, fmt.Errorf("%w: bad line ending", errProtocol)
		}
		return n, i + 2, nil
	}
	return 0, 0, nil
}

// scanLine returns the line at the start of b without its CRLF and the index
// after the CRLF, or next == 0 when b has no complete line.
func scanLine(b []byte) (line []byte, next int) {
	for i := 1; i < len(b); i++ {
		if b[i] == '\n' && b[i-1] == '\r' {
			return b[:i-1], i + 1
		}
	}
	return nil, 0
}
