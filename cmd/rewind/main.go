// Command rewind is the durable pub/sub broker and its tools: serve runs a
// node; publish, subscribe, replay, groups and pending talk to one (replay
// can also read a stopped node's data directly); bench measures it against
// Redis.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/bench"
)

const usage = `rewind: a durable, at-least-once pub/sub broker that speaks the Redis protocol.

Usage:
  rewind <command> [flags]

Commands:
  serve       run a node (Redis protocol on 127.0.0.1:7379, data in ./data)
  publish     publish a message to a channel
  subscribe   print messages published to channels (or, with --group, consume them)
  groups      show a channel's consumer groups: lag, pending, oldest unacked, policy
  pending     list a consumer group's pending (unacknowledged) entries
  replay      print a channel's history from an offset (server or data dir)
  bench       measure rewind against Redis on this machine

Run 'rewind <command> --help' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serveMain(rest, stdout, stderr)
	case "publish":
		return publishMain(rest, stdout, stderr)
	case "subscribe":
		return subscribeMain(rest, stdout, stderr)
	case "replay":
		return replayMain(rest, stdout, stderr)
	case "groups":
		return groupsMain(rest, stdout, stderr)
	case "pending":
		return pendingMain(rest, stdout, stderr)
	case "bench":
		return bench.Main(rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "rewind: unknown command %q\n\n%s", cmd, usage)
	return 2
}
