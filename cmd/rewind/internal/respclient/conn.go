package respclient

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Options size a connection's buffers. Zero fields take the defaults.
type Options struct {
	ReadBufferBytes int // the read buffer to start with (default 256 KiB)
	MaxReplyBytes   int // the largest reply accepted (default 1 GiB)
	FlushBytes      int // buffered commands are written once they reach this (default 64 KiB)
}

const (
	defaultReadBufferBytes = 256 << 10
	defaultMaxReplyBytes   = 1 << 30
	defaultFlushBytes      = 64 << 10
	dialTimeout            = 5 * time.Second
	keepAlive              = 15 * time.Second
)

func (o Options) withDefaults() Options {
	if o.ReadBufferBytes <= 0 {
		o.ReadBufferBytes = defaultReadBufferBytes
	}
	if o.MaxReplyBytes <= 0 {
		o.MaxReplyBytes = max(defaultMaxReplyBytes, o.ReadBufferBytes)
	}
	if o.FlushBytes <= 0 {
		o.FlushBytes = defaultFlushBytes
	}
	return o
}

// Conn is one client connection. Writing (the Write methods, Flush, Send)
// and reading (Read, Discard, Do's read) may run in two goroutines, one
// each; neither side is safe for more.
type Conn struct {
	*Reader
	conn       net.Conn
	addr       string
	out        []byte // buffered commands
	flushBytes int
	writeErr   error // the first failed automatic flush, returned by Flush
}

// Dial connects to addr over TCP (no delay, keep-alive), giving up after
// 5 s or when ctx ends.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	d := net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return NewConn(nc, addr, opts), nil
}

// NewConn wraps an established connection to addr.
func NewConn(nc net.Conn, addr string, opts Options) *Conn {
	opts = opts.withDefaults()
	return &Conn{
		Reader:     NewReader(nc, opts.ReadBufferBytes, opts.MaxReplyBytes),
		conn:       nc,
		addr:       addr,
		flushBytes: opts.FlushBytes,
	}
}

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }

// Addr is the address dialed.
func (c *Conn) Addr() string { return c.addr }

// NetConn is the underlying connection (for deadlines and interrupts).
func (c *Conn) NetConn() net.Conn { return c.conn }

// SetReadDeadline sets the deadline of reads; the zero time clears it.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// CloseOnDone closes the connection when ctx ends, which unblocks a pending
// read or write. The returned function stops the watch.
func (c *Conn) CloseOnDone(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = c.conn.Close() })
}

// WriteArrayHeader starts a command of n arguments.
func (c *Conn) WriteArrayHeader(n int) {
	c.out = AppendArrayHeader(c.out, n)
	c.maybeFlush()
}

// WriteBulk writes one argument.
func (c *Conn) WriteBulk(arg []byte) {
	c.out = AppendBulk(c.out, arg)
	c.maybeFlush()
}

// WriteBulkString writes one argument.
func (c *Conn) WriteBulkString(arg string) {
	c.out = AppendBulkString(c.out, arg)
	c.maybeFlush()
}

// WriteCommand writes a whole command.
func (c *Conn) WriteCommand(args ...string) {
	c.out = AppendCommand(c.out, args...)
	c.maybeFlush()
}

// maybeFlush writes the buffered commands once they pass flushBytes. An
// error is kept for Flush.
func (c *Conn) maybeFlush() {
	if len(c.out) >= c.flushBytes {
		if err := c.Flush(); err != nil && c.writeErr == nil {
			c.writeErr = err
		}
	}
}

// Flush writes the buffered commands.
func (c *Conn) Flush() error {
	if err := c.writeErr; err != nil {
		c.writeErr = nil
		c.out = c.out[:0]
		return err
	}
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.conn.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		return fmt.Errorf("write to %s: %w", c.addr, err)
	}
	return nil
}

// ResetWrites drops the buffered commands unsent.
func (c *Conn) ResetWrites() {
	c.out = c.out[:0]
	c.writeErr = nil
}

// Send flushes the buffered commands and then writes encoded (commands
// encoded beforehand, with the Append functions) straight to the
// connection, without copying it.
func (c *Conn) Send(encoded []byte) error {
	if err := c.Flush(); err != nil {
		return err
	}
	if _, err := c.conn.Write(encoded); err != nil {
		return fmt.Errorf("write to %s: %w", c.addr, err)
	}
	return nil
}

// Do sends one command and reads its reply. An error reply comes back as
// the reply and a *ReplyError.
func (c *Conn) Do(args ...string) (*Reply, error) {
	c.WriteCommand(args...)
	if err := c.Flush(); err != nil {
		return nil, err
	}
	reply, err := c.Read()
	if err != nil {
		return nil, err
	}
	return reply, reply.Err(0)
}

// AppendArrayHeader appends "*n\r\n".
func AppendArrayHeader(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

// AppendBulk appends b as a bulk string.
func AppendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// AppendBulkString appends s as a bulk string.
func AppendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// AppendCommand appends a whole command of string arguments.
func AppendCommand(dst []byte, args ...string) []byte {
	dst = AppendArrayHeader(dst, len(args))
	for _, a := range args {
		dst = AppendBulkString(dst, a)
	}
	return dst
}
