package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

const publishSynopsis = `Usage: rewind publish CHANNEL MESSAGE... [flags]
       rewind publish CHANNEL - [flags]

Publishes each MESSAGE to CHANNEL, in order, and prints one line per message:
the number of subscribers that received it, or with --xadd the ID of the new
entry. A message is acknowledged only once the server has made it durable.

With - as the only MESSAGE, publishes each line of standard input (without
its line ending), pipelined: many messages are in flight at once, so a large
file goes fast.

Examples:
  rewind publish orders '{"id":1}'
  rewind publish orders --xadd first second
  rewind publish orders - < messages.txt
`

const (
	publishReadBytes = 64 << 10
	maxLineBytes     = 512 << 20 // a longer stdin line is an error (the server's limit is lower)
)

type publishOptions struct {
	server   serverFlags
	xadd     bool
	quiet    bool
	pipeline int
}

func publishMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind publish"
	var o publishOptions
	fs := newFlagSet(cmd, publishSynopsis, "", stdout, stderr)
	o.server.register(fs)
	fs.BoolVar(&o.xadd, "xadd", false, "append with XADD CHANNEL * message MESSAGE and print the entry ID")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	fs.IntVar(&o.pipeline, "pipeline", 1000, "at most `N` messages in flight at once")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	rest := fs.Args()
	switch {
	case len(rest) == 0:
		return usageError(stderr, cmd, "missing CHANNEL and MESSAGE")
	case len(rest) == 1:
		return usageError(stderr, cmd, "missing MESSAGE (give - to read messages from standard input)")
	case o.pipeline < 1:
		return usageError(stderr, cmd, "--pipeline must be positive")
	}
	ctx, stop := signalContext()
	defer stop()
	var src messageSource = &argMessages{args: rest[1:]}
	if len(rest) == 2 && rest[1] == "-" {
		src = newLineMessages(os.Stdin)
	}
	failed, err := o.publish(ctx, []byte(rest[0]), src, stdout, stderr)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "%s: interrupted\n", cmd)
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	case failed > 0:
		return exitFailed
	}
	return exitOK
}

// messageSource yields the messages to publish. A message is valid until the
// next call. waiting reports whether the next call may block (so that what
// was sent so far should be flushed first).
type messageSource interface {
	next() (msg []byte, ok bool, err error)
	waiting() bool
}

type argMessages struct{ args []string }

func (a *argMessages) next() ([]byte, bool, error) {
	if len(a.args) == 0 {
		return nil, false, nil
	}
	m := a.args[0]
	a.args = a.args[1:]
	return []byte(m), true, nil
}

func (a *argMessages) waiting() bool { return false }

// lineMessages reads messages line by line, dropping "\n" or "\r\n".
type lineMessages struct {
	br   *bufio.Reader
	long []byte // a line longer than br's buffer
}

func newLineMessages(r io.Reader) *lineMessages {
	return &lineMessages{br: bufio.NewReaderSize(r, publishReadBytes)}
}

func (l *lineMessages) waiting() bool { return l.br.Buffered() == 0 }

func (l *lineMessages) next() ([]byte, bool, error) {
	l.long = l.long[:0]
	for {
		chunk, err := l.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(l.long)+len(chunk) > maxLineBytes {
				return nil, false, fmt.Errorf("a line of standard input is longer than %d bytes", maxLineBytes)
			}
			l.long = append(l.long, chunk...)
			continue
		}
		line := chunk
		if len(l.long) > 0 {
			l.long = append(l.long, chunk...)
			line = l.long
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(line) == 0 {
					return nil, false, nil
				}
				return line, true, nil // a last line without "\n"
			}
			return nil, false, fmt.Errorf("read standard input: %w", err)
		}
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, true, nil
	}
}

// publish sends every message of src, at most o.pipeline unanswered at a
// time, and prints each reply in order. It returns how many the server
// refused, and the error that stopped it, if any.
func (o *publishOptions) publish(ctx context.Context, channel []byte, src messageSource, stdout, stderr io.Writer) (failed int, err error) {
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	defer c.CloseOnDone(ctx)()

	inflight := make(chan struct{}, o.pipeline)
	received := make(chan struct{}) // closed when the receiver stops
	sendErr := make(chan error, 1)
	go func() { sendErr <- o.send(c, channel, src, inflight, received) }()

	out := bufio.NewWriterSize(stdout, publishReadBytes)
	defer out.Flush()
	failed, err = o.receive(c, inflight, out, stderr)
	close(received)
	if err != nil {
		return failed, err
	}
	return failed, <-sendErr
}

// send writes commands; each takes an inflight slot, freed by receive.
// It closes inflight when done.
func (o *publishOptions) send(c *respclient.Conn, channel []byte, src messageSource, inflight chan<- struct{}, received <-chan struct{}) error {
	defer close(inflight)
	for {
		if src.waiting() {
			if err := c.Flush(); err != nil {
				return err
			}
		}
		msg, ok, err := src.next()
		if err != nil || !ok {
			if ferr := c.Flush(); err == nil {
				err = ferr
			}
			return err
		}
		select {
		case inflight <- struct{}{}:
		default:
			if err := c.Flush(); err != nil { // the window is full: let replies come
				return err
			}
			select {
			case inflight <- struct{}{}:
			case <-received:
				return nil
			}
		}
		if o.xadd {
			c.WriteArrayHeader(5)
			c.WriteBulkString("XADD")
			c.WriteBulk(channel)
			c.WriteBulkString("*")
			c.WriteBulkString("message")
		} else {
			c.WriteArrayHeader(3)
			c.WriteBulkString("PUBLISH")
			c.WriteBulk(channel)
		}
		c.WriteBulk(msg)
	}
}

// receive reads one reply per inflight slot and prints it.
func (o *publishOptions) receive(c *respclient.Conn, inflight <-chan struct{}, out *bufio.Writer, stderr io.Writer) (failed int, err error) {
	var line []byte
	n := 0
	for range inflight {
		n++
		rp, err := c.Read()
		if err != nil {
			return failed, fmt.Errorf("reading the reply to message %d: %w", n, err)
		}
		line = line[:0]
		switch rp.Kind(0) {
		case ':':
			line = strconv.AppendInt(line, rp.Int(0), 10)
		case '$', '+':
			line = append(line, rp.Bytes(0)...)
		case '-':
			failed++
			_ = out.Flush()
			fmt.Fprintf(stderr, "rewind publish: message %d: %s\n", n, rp.Bytes(0))
			continue
		default:
			return failed, fmt.Errorf("%w: unexpected reply type %q", errProtocol, rp.Kind(0))
		}
		if !o.quiet {
			line = append(line, '\n')
			if _, err := out.Write(line); err != nil {
				return failed, err
			}
		}
		if !c.Buffered() {
			if err := out.Flush(); err != nil {
				return failed, err
			}
		}
	}
	return failed, nil
}
