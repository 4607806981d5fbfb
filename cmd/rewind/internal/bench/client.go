package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// errProtocol reports a reply that is not what the benchmark expects.
var errProtocol = respclient.ErrProtocol

// client is one benchmark connection: load generators write batches
// encoded beforehand with Send, and read replies with Read or Discard.
type client struct {
	*respclient.Conn
	buf     []byte // scratch for encoding commands
	stopCtx func() bool
}

// dial connects to addr; readBuf sizes the reply buffer (it grows for a
// larger reply). The connection is closed when ctx is cancelled, which
// unblocks any read or write on it. With resp3 it sends HELLO 3 first.
func dial(ctx context.Context, addr string, readBuf int, resp3 bool) (*client, error) {
	conn, err := respclient.Dial(ctx, addr, respclient.Options{ReadBufferBytes: readBuf})
	if err != nil {
		return nil, err
	}
	c := &client{Conn: conn, buf: make([]byte, 0, 256)}
	c.stopCtx = conn.CloseOnDone(ctx)
	if resp3 {
		if _, err := c.Do("HELLO", "3"); err != nil {
			c.Close()
			return nil, fmt.Errorf("HELLO 3: %w", err)
		}
	}
	return c, nil
}

// Close closes the connection.
func (c *client) Close() error {
	c.stopCtx()
	return c.Conn.Close()
}

// send writes one command made of string arguments (not for hot paths).
func (c *client) send(args ...string) error {
	c.WriteCommand(args...)
	return c.Flush()
}

// doString runs a command whose reply is a string and returns it as a Go string.
func (c *client) doString(args ...string) (string, error) {
	reply, err := c.Do(args...)
	if err != nil {
		return "", err
	}
	return reply.Text(0), nil
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
