package main

// What the client commands (publish, subscribe, replay, groups, pending)
// share: the server flags, flag parsing, exit codes, and dialing with the
// RESP client of internal/respclient (RESP2: the CLI sends no HELLO).
// replay and subscribe read XRANGE, XREVRANGE and XREAD replies as pages
// (page.go).

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
	"github.com/spf13/pflag"
)

const (
	defaultHost       = "127.0.0.1"
	defaultPort       = 7379
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

// errProtocol marks a reply that is not what the command expects.
var errProtocol = respclient.ErrProtocol

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

// dial connects to addr. Its error says what to check.
func dial(ctx context.Context, addr string) (*respclient.Conn, error) {
	c, err := respclient.Dial(ctx, addr, respclient.Options{
		ReadBufferBytes: initialReadBytes,
		MaxReplyBytes:   maxReplyBytes,
		FlushBytes:      commandWriteBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to %s (is 'rewind serve' running there?): %w", addr, err)
	}
	return c, nil
}
