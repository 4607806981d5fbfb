package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxBulkBytes bounds a bulk string or aggregate length read from a server,
// so that a corrupt stream cannot make the client allocate without bound.
const maxBulkBytes = 512 << 20

// errProtocol reports a reply that is not valid RESP.
var errProtocol = errors.New("resp: protocol error")

// replyError is an error reply (-ERR ..., or a RESP3 blob error) from the server.
type replyError struct{ msg string }

func (e *replyError) Error() string { return e.msg }

// value is one parsed RESP2/RESP3 value. Replies are stored flat, in preorder:
// an aggregate at index i is followed by its children; end is the index just
// after its subtree.
type value struct {
	kind byte   // RESP type byte: + - : $ * > % ~ _ , # ( = !
	null bool   // $-1, *-1 or _
	num  int64  // the integer for ':', the element count for aggregates
	str  []byte // string payload for + - $ , ( = ! (points into the reader's arena)
	end  int    // index after this value's subtree
}

// reader parses replies from a buffered stream. Parsed strings live in an
// arena that is reused by the next call, so steady-state parsing does not allocate.
type reader struct {
	br    *bufio.Reader
	vals  []value
	arena []byte
	long  []byte // a line that did not fit in br's buffer
}

func newReader(r io.Reader, size int) *reader {
	return &reader{br: bufio.NewReaderSize(r, size), vals: make([]value, 0, 64), arena: make([]byte, 0, 4096)}
}

// readReply parses one complete reply into r.vals (root at index 0). Values
// stay valid until the next call. An error reply is returned as a value, not an error.
func (r *reader) readReply() error {
	r.vals = r.vals[:0]
	r.arena = r.arena[:0]
	return r.readValue()
}

// readValue appends one value and its subtree to r.vals.
func (r *reader) readValue() error {
	kind, line, err := r.readLine()
	if err != nil {
		return err
	}
	if kind == '|' { // RESP3 attribute: parse and drop it, the reply follows
		n, err := parseLen(line)
		if err != nil {
			return err
		}
		mark, amark := len(r.vals), len(r.arena)
		if err := r.readChildren(2 * n); err != nil {
			return err
		}
		r.vals, r.arena = r.vals[:mark], r.arena[:amark]
		return r.readValue()
	}
	idx := len(r.vals)
	r.vals = append(r.vals, value{kind: kind})
	v := &r.vals[idx]
	switch kind {
	case '+', '-', ',', '(', '#':
		v.str = r.keep(line)
	case ':':
		v.num, err = parseInt(line)
	case '_':
		v.null = true
	case '$', '=', '!':
		err = r.readBulk(idx, line)
	case '*', '>', '~', '%':
		err = r.readAggregate(idx, line)
	default:
		err = fmt.Errorf("%w: unexpected type byte %q", errProtocol, kind)
	}
	r.vals[idx].end = len(r.vals)
	return err
}

func (r *reader) readBulk(idx int, line []byte) error {
	n, err := parseInt(line)
	if err != nil || n > maxBulkBytes {
		return fmt.Errorf("%w: bad bulk length %q", errProtocol, line)
	}
	if n < 0 {
		r.vals[idx].null = true
		return nil
	}
	start := len(r.arena)
	r.arena = append(r.arena, make([]byte, n+2)...)
	if _, err := io.ReadFull(r.br, r.arena[start:]); err != nil {
		return err
	}
	r.arena = r.arena[:start+int(n)]
	r.vals[idx].str = r.arena[start : start+int(n) : start+int(n)]
	return nil
}

func (r *reader) readAggregate(idx int, line []byte) error {
	n, err := parseInt(line)
	if err != nil || n > maxBulkBytes {
		return fmt.Errorf("%w: bad aggregate length %q", errProtocol, line)
	}
	if n < 0 {
		r.vals[idx].null = true
		return nil
	}
	r.vals[idx].num = n
	if r.vals[idx].kind == '%' {
		n *= 2
	}
	return r.readChildren(int(n))
}

func (r *reader) readChildren(n int) error {
	for i := 0; i < n; i++ {
		if err := r.readValue(); err != nil {
			return err
		}
	}
	return nil
}

// readLine returns the type byte and the rest of the line without CRLF. The
// slice points into the bufio buffer (or, for a line longer than the buffer,
// into r.long) and is valid until the next read.
func (r *reader) readLine() (byte, []byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.long = append(r.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(r.long) <= maxBulkBytes {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return 0, nil, fmt.Errorf("%w: bad line %q", errProtocol, line)
	}
	return line[0], line[1 : len(line)-2], nil
}

// keep copies b into the arena.
func (r *reader) keep(b []byte) []byte {
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return r.arena[start:len(r.arena):len(r.arena)]
}

// skipReply consumes one reply without keeping it. It returns a *replyError
// if the reply is (or contains) an error reply.
func (r *reader) skipReply() error {
	kind, line, err := r.readLine()
	if err != nil {
		return err
	}
	switch kind {
	case '+', ',', '(', '#', '_':
		return nil
	case ':':
		_, err := parseInt(line)
		return err
	case '-':
		return &replyError{msg: string(line)}
	case '$', '=', '!':
		return r.skipBulk(kind, line)
	case '*', '>', '~', '%', '|':
		return r.skipAggregate(kind, line)
	}
	return fmt.Errorf("%w: unexpected type byte %q", errProtocol, kind)
}

func (r *reader) skipBulk(kind byte, line []byte) error {
	n, err := parseInt(line)
	if err != nil || n > maxBulkBytes {
		return fmt.Errorf("%w: bad bulk length %q", errProtocol, line)
	}
	if n < 0 {
		return nil
	}
	if kind == '!' {
		msg := make([]byte, n+2)
		if _, err := io.ReadFull(r.br, msg); err != nil {
			return err
		}
		return &replyError{msg: string(msg[:n])}
	}
	_, err = r.br.Discard(int(n) + 2)
	return err
}

func (r *reader) skipAggregate(kind byte, line []byte) error {
	n, err := parseInt(line)
	if err != nil || n > maxBulkBytes {
		return fmt.Errorf("%w: bad aggregate length %q", errProtocol, line)
	}
	if kind == '%' || kind == '|' {
		n *= 2
	}
	var first error
	for i := int64(0); i < n; i++ {
		if err := r.skipReply(); err != nil {
			var re *replyError
			if !errors.As(err, &re) {
				return err
			}
			if first == nil {
				first = err
			}
		}
	}
	if kind == '|' { // the attribute precedes the actual reply
		return r.skipReply()
	}
	return first
}

// child returns the index of the k-th child (0-based) of the aggregate at i, or -1.
func (r *reader) child(i, k int) int {
	if i < 0 || i >= len(r.vals) {
		return -1
	}
	j, end := i+1, r.vals[i].end
	for ; j < end && k > 0; k-- {
		j = r.vals[j].end
	}
	if j >= end {
		return -1
	}
	return j
}

// err returns the value at i as a Go error if it is an error reply.
func (r *reader) err(i int) error {
	if v := r.vals[i]; v.kind == '-' || v.kind == '!' {
		return &replyError{msg: string(v.str)}
	}
	return nil
}

// parseInt parses a decimal integer without allocating.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, fmt.Errorf("%w: bad integer %q", errProtocol, b)
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, fmt.Errorf("%w: bad integer", errProtocol)
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' || n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, fmt.Errorf("%w: bad integer %q", errProtocol, b)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}

func parseLen(b []byte) (int, error) {
	n, err := parseInt(b)
	if err != nil || n < 0 || n > maxBulkBytes {
		return 0, fmt.Errorf("%w: bad length %q", errProtocol, b)
	}
	return int(n), nil
}

// appendArrayHeader appends "*n\r\n".
func appendArrayHeader(buf []byte, n int) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, '\r', '\n')
}

// appendBulk appends b as a RESP bulk string.
func appendBulk(buf, b []byte) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(b)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, b...)
	return append(buf, '\r', '\n')
}

// appendBulkString appends s as a RESP bulk string.
func appendBulkString(buf []byte, s string) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, s...)
	return append(buf, '\r', '\n')
}

// appendCommand appends a whole command made of string arguments.
func appendCommand(buf []byte, args ...string) []byte {
	buf = appendArrayHeader(buf, len(args))
	for _, a := range args {
		buf = appendBulkString(buf, a)
	}
	return buf
}

// client is one connection: commands are written straight to the socket in
// batches; replies are read through a buffered reader.
type client struct {
	nc      net.Conn
	rd      *reader
	buf     []byte // scratch for encoding commands
	stopCtx func() bool
}

// dial connects to addr; readBuf sizes the reply buffer. The connection is
// closed when ctx is cancelled, which unblocks any read or write on it.
func dial(ctx context.Context, addr string, readBuf int, resp3 bool) (*client, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &client{nc: nc, rd: newReader(nc, readBuf), buf: make([]byte, 0, 256)}
	c.stopCtx = context.AfterFunc(ctx, func() { nc.Close() })
	if resp3 {
		if err := c.do("HELLO", "3"); err != nil {
			c.Close()
			return nil, fmt.Errorf("HELLO 3: %w", err)
		}
	}
	return c, nil
}

// Close closes the connection.
func (c *client) Close() error {
	c.stopCtx()
	return c.nc.Close()
}

// send writes one command made of string arguments (not for hot paths).
func (c *client) send(args ...string) error {
	c.buf = appendCommand(c.buf[:0], args...)
	_, err := c.nc.Write(c.buf)
	return err
}

// do sends one command and parses its reply into c.rd.vals; an error reply becomes an error.
func (c *client) do(args ...string) error {
	if err := c.send(args...); err != nil {
		return err
	}
	if err := c.rd.readReply(); err != nil {
		return err
	}
	return c.rd.err(0)
}

// doString runs a command whose reply is a string and returns it as a Go string.
func (c *client) doString(args ...string) (string, error) {
	if err := c.do(args...); err != nil {
		return "", err
	}
	return string(c.rd.vals[0].str), nil
}

// infoField extracts "name:value" from an INFO reply.
func infoField(info, name string) (string, bool) {
	for line := range strings.Lines(info) {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":")
		if ok && k == name {
			return v, true
		}
	}
	return "", false
}
