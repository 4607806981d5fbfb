package main

// The CLI's side of the Redis protocol: a small RESP2 client shared by
// publish, subscribe and replay. Commands go out through a bufio.Writer;
// replies are parsed straight from the read buffer, so a reply's strings
// alias that buffer and stay valid only until the next read. replay reads
// XRANGE, XREVRANGE and XREAD replies with readPage, which indexes a whole
// page of entries in place without allocating.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/pflag"
)

const (
	defaultHost       = "127.0.0.1"
	defaultPort       = 7379
	dialTimeout       = 5 * time.Second
	initialReadBytes  = 256 << 10
	maxReplyBytes     = 1 << 30 // one reply (an XRANGE page, a message) may not exceed this
	commandWriteBytes = 64 << 10
)

// Exit codes of the client commands.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

var (
	errProtocol = errors.New("protocol error")
	errTooLarge = errors.New("reply larger than 1 GiB")
)

// replyError is an error reply (-ERR ...) from the server.
type replyError struct{ msg string }

func (e *replyError) Error() string { return e.msg }

// serverFlags are redis-cli's -h and -p. -h is the host, as in redis-cli, so
// --help is the only help flag of these commands.
type serverFlags struct {
	host string
	port int
}

func (s *serverFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&s.host, "host", "h", defaultHost, "server `HOST`")
	fs.IntVarP(&s.port, "port", "p", defaultPort, "server `PORT`")
}

func (s *serverFlags) addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// newFlagSet returns a flag set for a client command. --help (the only
// help flag: -h is the host) prints synopsis, the flags and more to stdout;
// errors go to stderr.
func newFlagSet(name, synopsis, more string, stdout, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(stdout, "%s\nFlags:\n%s%s", synopsis, fs.FlagUsages(), more)
	}
	return fs
}

// parseFlags parses args (after the command's own flags are defined) and
// reports the exit code to return now, if any: 0 after --help, 2 for a bad
// flag.
func parseFlags(fs *pflag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	help := fs.Bool("help", false, "show this help")
	if err := fs.Parse(args); err != nil {
		return usageError(stderr, fs.Name(), "%v", err), true
	}
	if *help {
		fs.Usage()
		return exitOK, true
	}
	return 0, false
}

// usageError prints a usage problem in the command's name and returns 2.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

// signalContext is canceled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// respConn is one client connection.
type respConn struct {
	nc   net.Conn
	addr string
	bw   *bufio.Writer
	rd   *respReader
	num  [24]byte // scratch for length headers
}

// dial connects to addr. Its error says what to check.
func dial(ctx context.Context, addr string) (*respConn, error) {
	d := net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s (is 'rewind serve' running there?): %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return &respConn{
		nc:   nc,
		addr: addr,
		bw:   bufio.NewWriterSize(nc, commandWriteBytes),
		rd:   newRESPReader(nc, initialReadBytes),
	}, nil
}

// closeOnDone closes c when ctx is done, which unblocks a pending read. The
// returned function stops the watch.
func (c *respConn) closeOnDone(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.nc.Close() })
}

func (c *respConn) Close() error { return c.nc.Close() }

// writeArrayHeader starts a command of n arguments.
func (c *respConn) writeArrayHeader(n int) {
	b := append(c.num[:0], '*')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '\r', '\n')
	_, _ = c.bw.Write(b)
}

// writeBulk writes one argument. Write errors surface at flush.
func (c *respConn) writeBulk(arg []byte) {
	b := append(c.num[:0], '$')
	b = strconv.AppendInt(b, int64(len(arg)), 10)
	b = append(b, '\r', '\n')
	_, _ = c.bw.Write(b)
	_, _ = c.bw.Write(arg)
	_, _ = c.bw.WriteString("\r\n")
}

func (c *respConn) writeBulkString(arg string) {
	b := append(c.num[:0], '$')
	b = strconv.AppendInt(b, int64(len(arg)), 10)
	b = append(b, '\r', '\n')
	_, _ = c.bw.Write(b)
	_, _ = c.bw.WriteString(arg)
	_, _ = c.bw.WriteString("\r\n")
}

// writeCommand buffers a command; flush sends it.
func (c *respConn) writeCommand(args ...string) {
	c.writeArrayHeader(len(args))
	for _, a := range args {
		c.writeBulkString(a)
	}
}

func (c *respConn) flush() error {
	if err := c.bw.Flush(); err != nil {
		return fmt.Errorf("write to %s: %w", c.addr, err)
	}
	return nil
}

// do sends one command and reads its reply. An error reply is returned as a
// *replyError.
func (c *respConn) do(args ...string) (*reply, error) {
	c.writeCommand(args...)
	if err := c.flush(); err != nil {
		return nil, err
	}
	rp, err := c.rd.readReply()
	if err != nil {
		return nil, err
	}
	if rp.kind == '-' {
		return rp, &replyError{string(rp.str)}
	}
	return rp, nil
}

// reply is one parsed RESP2 value. Its strings alias the reader's buffer and
// are valid until the next read.
type reply struct {
	kind  byte   // '+', '-', ':', '$' or '*'
	str   []byte // simple string, error or bulk string
	num   int64  // integer, or the element count of an array
	null  bool   // $-1 or *-1
	elems []reply
}

// respReader parses replies from a buffer it fills from rd. The unread bytes
// are buf[r:w]; positions handed out by the page parser are relative to r,
// so the buffer may be compacted or grown between reads.
type respReader struct {
	rd   io.Reader
	buf  []byte
	r, w int
	top  reply // the last reply read by readReply (its elems are reused)
}

func newRESPReader(rd io.Reader, size int) *respReader {
	return &respReader{rd: rd, buf: make([]byte, size)}
}

// unread returns the bytes read but not yet consumed.
func (rr *respReader) unread() []byte { return rr.buf[rr.r:rr.w] }

// consume marks n unread bytes as used.
func (rr *respReader) consume(n int) {
	rr.r += n
	if rr.r == rr.w {
		rr.r, rr.w = 0, 0
	}
}

// buffered reports whether unread bytes are waiting (so a caller can delay a
// flush of its own output until the input runs dry).
func (rr *respReader) buffered() bool { return rr.w > rr.r }

// fill reads more bytes, keeping the unread ones. It compacts the buffer,
// or grows it (up to maxReplyBytes) when the unread bytes fill it.
func (rr *respReader) fill() error {
	if rr.w == len(rr.buf) {
		switch {
		case rr.r > 0:
			rr.w = copy(rr.buf, rr.buf[rr.r:rr.w])
			rr.r = 0
		case len(rr.buf) >= maxReplyBytes:
			return errTooLarge
		default:
			grown := make([]byte, min(2*len(rr.buf), maxReplyBytes))
			rr.w = copy(grown, rr.buf[rr.r:rr.w])
			rr.r = 0
			rr.buf = grown
		}
	}
	for {
		n, err := rr.rd.Read(rr.buf[rr.w:])
		rr.w += n
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

// shrink releases a buffer that grew for one large reply, once it is empty.
func (rr *respReader) shrink(size int) {
	if rr.r == rr.w && len(rr.buf) > 4*size {
		rr.buf = make([]byte, size)
		rr.r, rr.w = 0, 0
	}
}

// readReply reads one whole reply. The result is valid until the next read.
func (rr *respReader) readReply() (*reply, error) {
	for {
		rr.top.elems = rr.top.elems[:0]
		n, err := parseReply(rr.unread(), &rr.top, true)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			rr.consume(n)
			return &rr.top, nil
		}
		if err := rr.fill(); err != nil {
			return nil, err
		}
	}
}

// parseReply parses one reply at the start of b into rp. It returns the
// bytes it used, or 0 if b holds only part of it. reuse lets rp keep its
// elems storage (only the top level does, nested arrays allocate).
func parseReply(b []byte, rp *reply, reuse bool) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	kind := b[0]
	line, next := scanLine(b)
	if next == 0 {
		return 0, nil
	}
	elems := rp.elems[:0]
	if !reuse {
		elems = nil
	}
	*rp = reply{kind: kind, elems: elems}
	switch kind {
	case '+', '-':
		rp.str = line[1:]
		return next, nil
	case ':':
		n, ok := parseInt(line[1:])
		if !ok {
			return 0, fmt.Errorf("%w: bad integer %q", errProtocol, line)
		}
		rp.num = n
		return next, nil
	case '$':
		n, ok := parseInt(line[1:])
		if !ok || n < -1 {
			return 0, fmt.Errorf("%w: bad bulk length %q", errProtocol, line)
		}
		if n == -1 {
			rp.null = true
			return next, nil
		}
		end := next + int(n) + 2
		if n > maxReplyBytes || len(b) < end {
			return 0, nil
		}
		rp.str = b[next : next+int(n)]
		return end, nil
	case '*':
		n, ok := parseInt(line[1:])
		if !ok || n < -1 {
			return 0, fmt.Errorf("%w: bad array length %q", errProtocol, line)
		}
		rp.num = n
		if n == -1 {
			rp.null = true
			return next, nil
		}
		pos := next
		for i := int64(0); i < n; i++ {
			rp.elems = append(rp.elems, reply{})
			used, err := parseReply(b[pos:], &rp.elems[len(rp.elems)-1], false)
			if err != nil || used == 0 {
				return 0, err
			}
			pos += used
		}
		return pos, nil
	}
	return 0, fmt.Errorf("%w: unexpected reply type %q", errProtocol, kind)
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

// parseInt parses a RESP integer: an optional '-' and decimal digits.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// span locates bytes of a page relative to the page's first byte.
type span struct{ off, len int }

// page indexes one reply of stream entries (XRANGE, XREVRANGE or XREAD on
// one stream) held whole in a respReader's unread bytes. Nothing is copied:
// the index holds offsets, so the reader may compact or grow its buffer
// while the page arrives, and bytes() resolves them once it is complete.
// Its slices are reused from page to page.
type page struct {
	n      int    // entries
	size   int    // bytes of the reply
	ids    []span // per entry
	first  []int  // per entry: index in fields of its first field
	fields []span // names and values, all entries in order
	views  [][]byte
}

func (pg *page) reset() {
	pg.n, pg.size = 0, 0
	pg.ids, pg.first, pg.fields = pg.ids[:0], pg.first[:0], pg.fields[:0]
}

// entry returns entry i's ID and fields as slices of buf (the reader's
// unread bytes). The fields slice is reused by the next call.
func (pg *page) entry(buf []byte, i int) (id []byte, fields [][]byte) {
	s := pg.ids[i]
	id = buf[s.off : s.off+s.len]
	to := len(pg.fields)
	if i+1 < pg.n {
		to = pg.first[i+1]
	}
	pg.views = pg.views[:0]
	for _, f := range pg.fields[pg.first[i]:to] {
		pg.views = append(pg.views, buf[f.off:f.off+f.len])
	}
	return id, pg.views
}

// readPage reads one whole entries reply into pg, leaving it unconsumed:
// the caller uses pg.entry on rr.unread() and then consumes pg.size bytes.
// With xread the reply is XREAD's (a null array, when it timed out, is a
// page of no entries). An error reply is returned as a *replyError.
func readPage(rr *respReader, pg *page, xread bool) error {
	pg.reset()
	var count, pos int
	for {
		n, c, err := parsePageHeader(rr.unread(), xread)
		if err != nil {
			var re *replyError
			if errors.As(err, &re) {
				rr.consume(n) // the error line: the connection stays usable
			}
			return err
		}
		if n > 0 {
			count, pos = c, n
			break
		}
		if err := rr.fill(); err != nil {
			return err
		}
	}
	for pg.n < count {
		n, err := pg.parseEntry(rr.unread(), pos)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := rr.fill(); err != nil {
				return err
			}
			continue
		}
		pos += n
		pg.n++
	}
	pg.size = pos
	return nil
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
		return next, 0, &replyError{string(line[1:])}
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
			return 0, 0, &replyError{string(line[1:])}
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
