package respclient

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// maxDepth bounds the nesting of aggregates in a reply (rewind and Redis
// nest a handful deep).
const maxDepth = 256

// Reader parses replies from a stream. The unread bytes are buf[r:w]; the
// reply being read starts at r, and every position the parser keeps is
// relative to it, so the buffer can be compacted or grown while a reply
// arrives.
//
// Invariants: a Reply handed out stays put until the next Read or Release
// (nothing moves buf while it is current); after an error other than an
// I/O one the reader is broken for good.
type Reader struct {
	source        io.Reader
	buf           []byte
	r, w          int
	initialBytes  int
	maxReplyBytes int
	broken        error

	reply    Reply
	pos      int     // parsed bytes of the reply being read
	stack    []frame // aggregates still waiting for children
	complete bool    // the reply at r is whole (and handed out)
}

// frame is an aggregate whose children are being parsed.
type frame struct {
	index     int // its value, or for an attribute the length of values before it
	left      int // children still to come
	attribute bool
}

// NewReader reads from source with a buffer of initialBytes that grows to
// hold a whole reply, up to maxReplyBytes.
func NewReader(source io.Reader, initialBytes, maxReplyBytes int) *Reader {
	if initialBytes <= 0 || maxReplyBytes < initialBytes || maxReplyBytes > math.MaxInt32 {
		panic(fmt.Sprintf("respclient: buffer of %d bytes, replies up to %d", initialBytes, maxReplyBytes))
	}
	return &Reader{source: source, buf: make([]byte, initialBytes), initialBytes: initialBytes, maxReplyBytes: maxReplyBytes}
}

// Read releases the current reply and returns the next one, valid until the
// next Read or Release. An error reply is a Reply like any other (see
// Reply.Err); the error is for I/O and protocol errors only. The end of the
// stream is io.ErrUnexpectedEOF: a client reads only when it awaits a reply.
// After an I/O error (a read deadline) the next Read resumes the same reply.
func (rd *Reader) Read() (*Reply, error) {
	rd.Release()
	if rd.broken != nil {
		return nil, rd.broken
	}
	for {
		done, err := rd.parse()
		if err != nil {
			rd.broken = err
			return nil, err
		}
		if done {
			rd.complete = true
			rd.reply.data = rd.buf[rd.r : rd.r+rd.pos]
			return &rd.reply, nil
		}
		if err := rd.fill(); err != nil {
			return nil, err
		}
	}
}

// ReadWith reads one reply with a parser of the caller's own, for replies
// whose shape it knows and can index in place, faster than as values (the
// CLI's pages of stream entries). parse is called with the unread bytes,
// again with more of them (the same first byte) until it returns the size
// of the whole reply; it keeps positions relative to the first byte, as
// the buffer may move between calls. ReadWith returns the reply's bytes,
// current until the next read or Release, like a Reply. An error with a
// size (an error reply) ends that reply only; an error without one breaks
// the reader.
func (rd *Reader) ReadWith(parse func(b []byte) (size int, err error)) ([]byte, error) {
	rd.Release()
	if rd.broken != nil {
		return nil, rd.broken
	}
	if rd.pos != 0 || len(rd.stack) != 0 {
		return nil, errors.New("respclient: ReadWith in the middle of a reply an interrupted Read left")
	}
	for {
		size, err := parse(rd.buf[rd.r:rd.w])
		if size > 0 {
			if size > rd.w-rd.r {
				panic(fmt.Sprintf("respclient: a reply of %d bytes in %d", size, rd.w-rd.r))
			}
			rd.complete, rd.pos = true, size
			rd.reply.values, rd.reply.data = rd.reply.values[:0], rd.buf[rd.r:rd.r+size]
			return rd.reply.data, err
		}
		if err != nil {
			rd.broken = err
			return nil, err
		}
		if err := rd.fill(); err != nil {
			return nil, err
		}
	}
}

// Discard reads one reply and drops it. It returns a *ReplyError when the
// reply is, or holds, an error reply.
func (rd *Reader) Discard() error {
	reply, err := rd.Read()
	if err != nil {
		return err
	}
	return reply.FirstErr()
}

// Release ends the current reply (its bytes may be overwritten from now on).
// Read does it first; a caller releases early to let Shrink work.
func (rd *Reader) Release() {
	if !rd.complete {
		return
	}
	rd.consume(rd.pos)
	rd.complete, rd.pos = false, 0
	rd.reply.values, rd.reply.data = rd.reply.values[:0], nil
}

// Buffered reports whether bytes after the current reply have arrived (so
// a caller can hold its own output until the input runs dry).
func (rd *Reader) Buffered() bool {
	if rd.complete {
		return rd.w > rd.r+rd.pos
	}
	return rd.w > rd.r
}

// Shrink gives back a buffer that grew for a large reply, once nothing is
// left in it.
func (rd *Reader) Shrink() {
	if rd.r == rd.w && !rd.complete && len(rd.buf) > 4*rd.initialBytes {
		rd.buf = make([]byte, rd.initialBytes)
		rd.r, rd.w = 0, 0
	}
}

func (rd *Reader) consume(n int) {
	rd.r += n
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
	}
}

// fill reads more bytes, keeping the unread ones: it compacts the buffer,
// or grows it when the reply being read fills it.
func (rd *Reader) fill() error {
	if rd.w == len(rd.buf) {
		switch {
		case rd.r > 0:
			rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
			rd.r = 0
		case len(rd.buf) >= rd.maxReplyBytes:
			rd.broken = fmt.Errorf("reply larger than %s", formatBytes(rd.maxReplyBytes))
			return rd.broken
		default:
			grown := make([]byte, min(2*len(rd.buf), rd.maxReplyBytes))
			rd.w = copy(grown, rd.buf[rd.r:rd.w])
			rd.r = 0
			rd.buf = grown
		}
	}
	for {
		n, err := rd.source.Read(rd.buf[rd.w:])
		rd.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// parse goes on parsing the reply at r and reports whether it is whole.
// Bulk strings and arrays, nearly every value of a reply, take the fast
// path of parseFast; the rest, and whatever the fast path declines, go
// through parseValue.
func (rd *Reader) parse() (bool, error) {
	b := rd.buf[rd.r:rd.w]
	for {
		if n, done := rd.parseFast(b, rd.pos); n > 0 {
			rd.pos += n
			if done {
				return true, nil
			}
			continue
		}
		n, done, err := rd.parseValue(b, rd.pos)
		if n == 0 || err != nil {
			return false, err
		}
		rd.pos += n
		if done {
			return true, nil
		}
	}
}

// parseFast parses, at b[pos:], a bulk string or the header of an array
// with a length of at most 6 digits, complete and well formed, when no
// attribute is open. It returns the bytes used and whether the reply is
// whole, or 0 to leave the value to parseValue.
func (rd *Reader) parseFast(b []byte, pos int) (used int, done bool) {
	rest := b[pos:]
	if len(rest) < 4 || (rest[0] != '$' && rest[0] != '*') || len(rd.stack) >= maxDepth {
		return 0, false
	}
	n, i := 0, 1
	for ; i < len(rest) && i < 8; i++ {
		c := rest[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	if i == 1 || i+1 >= len(rest) || rest[i] != '\r' || rest[i+1] != '\n' {
		return 0, false
	}
	next := i + 2
	values := rd.reply.values
	if rest[0] == '*' {
		if n == 0 {
			return 0, false
		}
		rd.stack = append(rd.stack, frame{index: len(values), left: n})
		rd.reply.values = append(values, value{kind: '*', number: int64(n)})
		return next, false
	}
	end := next + n + 2
	if end > len(rest) || rest[end-2] != '\r' || rest[end-1] != '\n' {
		return 0, false
	}
	values = append(values, value{kind: '$', offset: int32(pos + next), length: int32(n), end: int32(len(values) + 1)})
	stack := rd.stack
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.attribute {
			rd.reply.values = values[:len(values)-1]
			return 0, false
		}
		if top.left--; top.left > 0 {
			break
		}
		values[top.index].end = int32(len(values))
		stack = stack[:len(stack)-1]
	}
	rd.reply.values, rd.stack = values, stack
	return end, len(stack) == 0
}

// parseValue parses one value, or the header of an aggregate, at b[pos:].
// It returns the bytes it used (0: incomplete, nothing changed) and whether
// that completed the reply.
func (rd *Reader) parseValue(b []byte, pos int) (used int, done bool, err error) {
	rest := b[pos:]
	if len(rest) == 0 {
		return 0, false, nil
	}
	kind := rest[0]
	switch kind {
	case ':', '$', '=', '!', '*', '%', '~', '>', '|':
		n, next, err := parseNumberLine(rest)
		if next == 0 || err != nil {
			return 0, false, err
		}
		v := value{kind: kind}
		switch kind {
		case ':':
			v.number = n
			return next, rd.add(v), nil
		case '$', '=', '!':
			return rd.parseBulk(rest, pos, v, n, next)
		}
		return rd.parseAggregate(v, n, next)
	}
	eol := bytes.IndexByte(rest, '\n')
	if eol < 0 {
		return 0, false, nil
	}
	if eol < 2 || rest[eol-1] != '\r' {
		return 0, false, fmt.Errorf("%w: line %q not ended by CRLF", ErrProtocol, clip(rest[:eol+1]))
	}
	body, next := rest[1:eol-1], eol+1
	v := value{kind: kind, offset: int32(pos + 1), length: int32(len(body))}
	switch kind {
	case '+', '-', ',', '(':
	case '#':
		if len(body) != 1 || (body[0] != 't' && body[0] != 'f') {
			return 0, false, fmt.Errorf("%w: bad boolean %q", ErrProtocol, clip(body))
		}
		if body[0] == 't' {
			v.number = 1
		}
	case '_':
		if len(body) != 0 {
			return 0, false, fmt.Errorf("%w: null with a body %q", ErrProtocol, clip(body))
		}
		v.null, v.offset, v.length = true, 0, 0
	default:
		return 0, false, fmt.Errorf("%w: unknown type byte %q", ErrProtocol, kind)
	}
	return next, rd.add(v), nil
}

// parseNumberLine parses a line of a type byte and a decimal integer,
// "<kind><int>\r\n", at the start of b. It returns the integer and the
// index after the line, or next == 0 when the line is incomplete.
func parseNumberLine(b []byte) (n int64, next int, err error) {
	i := 1
	negative := i < len(b) && b[i] == '-'
	if negative || (i < len(b) && b[i] == '+') {
		i++
	}
	start := i
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			if n > (math.MaxInt64-int64(c-'0'))/10 {
				return 0, 0, fmt.Errorf("%w: integer %q out of range", ErrProtocol, clip(b[:i+1]))
			}
			n = n*10 + int64(c-'0')
			continue
		}
		if c != '\r' || i == start {
			return 0, 0, fmt.Errorf("%w: bad integer in %q", ErrProtocol, clip(b[:i+1]))
		}
		if i+1 >= len(b) {
			return 0, 0, nil
		}
		if b[i+1] != '\n' {
			return 0, 0, fmt.Errorf("%w: line %q not ended by CRLF", ErrProtocol, clip(b[:i+2]))
		}
		if negative {
			n = -n
		}
		return n, i + 2, nil
	}
	return 0, 0, nil
}

// parseBulk finishes a bulk string, verbatim string or blob error whose
// header line ends at rest[next].
func (rd *Reader) parseBulk(rest []byte, pos int, v value, length int64, next int) (int, bool, error) {
	n, err := rd.checkLength(length)
	if err != nil {
		return 0, false, err
	}
	if n < 0 {
		if v.kind != '$' {
			return 0, false, fmt.Errorf("%w: null %q", ErrProtocol, v.kind)
		}
		v.null = true
		return next, rd.add(v), nil
	}
	end := next + n + 2
	if end > len(rest) {
		return 0, false, nil
	}
	if rest[end-2] != '\r' || rest[end-1] != '\n' {
		return 0, false, fmt.Errorf("%w: bulk string of %d bytes not followed by CRLF", ErrProtocol, n)
	}
	if v.kind == '=' && (n < 4 || rest[next+3] != ':') {
		return 0, false, fmt.Errorf("%w: verbatim string without a format", ErrProtocol)
	}
	v.offset, v.length = int32(pos+next), int32(n)
	return end, rd.add(v), nil
}

// parseAggregate handles the header of an array, map, set, push or
// attribute.
func (rd *Reader) parseAggregate(v value, length int64, next int) (int, bool, error) {
	n, err := rd.checkLength(length)
	if err != nil {
		return 0, false, err
	}
	if n < 0 {
		if v.kind != '*' {
			return 0, false, fmt.Errorf("%w: null %q", ErrProtocol, v.kind)
		}
		v.null = true
		return next, rd.add(v), nil
	}
	children := n
	if v.kind == '%' || v.kind == '|' {
		children = 2 * n
	}
	if len(rd.stack) >= maxDepth {
		return 0, false, fmt.Errorf("%w: aggregates nested deeper than %d", ErrProtocol, maxDepth)
	}
	if v.kind == '|' { // an attribute: parsed, then dropped; the value it annotates follows
		if children > 0 {
			rd.stack = append(rd.stack, frame{index: len(rd.reply.values), left: children, attribute: true})
		}
		return next, false, nil
	}
	v.number = int64(n)
	if children == 0 {
		return next, rd.add(v), nil
	}
	rd.stack = append(rd.stack, frame{index: len(rd.reply.values), left: children})
	rd.reply.values = append(rd.reply.values, v)
	return next, false, nil
}

// add appends a complete value and counts it in the aggregates that hold
// it. It reports whether the reply is now whole.
func (rd *Reader) add(v value) bool {
	v.end = int32(len(rd.reply.values) + 1)
	rd.reply.values = append(rd.reply.values, v)
	for len(rd.stack) > 0 {
		top := &rd.stack[len(rd.stack)-1]
		if top.left--; top.left > 0 {
			return false
		}
		rd.stack = rd.stack[:len(rd.stack)-1]
		if top.attribute {
			rd.reply.values = rd.reply.values[:top.index]
			return false
		}
		rd.reply.values[top.index].end = int32(len(rd.reply.values))
	}
	return true
}

// checkLength checks the length of a bulk string or an aggregate: -1
// (null) or at most the largest reply.
func (rd *Reader) checkLength(n int64) (int, error) {
	if n < -1 || n > int64(rd.maxReplyBytes) {
		return 0, fmt.Errorf("%w: bad length %d", ErrProtocol, n)
	}
	return int(n), nil
}

// clip shortens garbage quoted in an error message.
func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// formatBytes is n in the largest binary unit that divides it.
func formatBytes(n int) string {
	for _, u := range []struct {
		shift int
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}
