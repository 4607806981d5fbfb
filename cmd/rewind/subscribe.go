package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
)

const subscribeSynopsis = `Usage: rewind subscribe CHANNEL... [flags]

Prints each message published to the channels (or, with --pattern, to the
channels that match the glob patterns) as it arrives, until Ctrl-C. Each
subscription, once confirmed, is reported on stderr.

This is a live subscription, as in Redis: messages published while it is not
connected are not shown here. Use 'rewind replay CHANNEL --follow' to read a
channel's history and then wait for new messages.

Formats:
  text  channel<TAB>payload per line, bytes as published
  json  {"channel":"…","pattern":"…" or null,"payload":"…"} per line; a value
        that is not valid UTF-8 is base64-encoded under its name + "_b64"
        ("payload_b64", "channel_b64", "pattern_b64")
`

const subscribeWriteBytes = 64 << 10

type subscribeOptions struct {
	server  serverFlags
	pattern bool
	format  string
	count   int64
}

func subscribeMain(args []string, stdout, stderr io.Writer) int {
	const cmd = "rewind subscribe"
	var o subscribeOptions
	fs := newFlagSet(cmd, subscribeSynopsis, "", stdout, stderr)
	o.server.register(fs)
	fs.BoolVar(&o.pattern, "pattern", false, "the arguments are glob patterns (PSUBSCRIBE): * ? [abc] [^a] [a-z]")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	fs.Int64Var(&o.count, "count", 0, "exit after `N` messages (0: run until Ctrl-C)")
	if code, done := parseFlags(fs, args, stderr); done {
		return code
	}
	switch {
	case fs.NArg() == 0:
		return usageError(stderr, cmd, "missing CHANNEL")
	case o.format != "text" && o.format != "json":
		return usageError(stderr, cmd, "--format must be text or json, not %q", o.format)
	case o.count < 0:
		return usageError(stderr, cmd, "--count must be positive")
	}
	ctx, stop := signalContext()
	defer stop()
	err := o.subscribe(ctx, fs.Args(), stdout, stderr)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK // Ctrl-C is the normal way out
}

// subscribe subscribes and prints messages until ctx ends, --count is
// reached or the connection fails.
func (o *subscribeOptions) subscribe(ctx context.Context, names []string, stdout, stderr io.Writer) error {
	c, err := dial(ctx, o.server.addr())
	if err != nil {
		return err
	}
	defer c.Close()
	defer c.closeOnDone(ctx)()
	verb := "SUBSCRIBE"
	if o.pattern {
		verb = "PSUBSCRIBE"
	}
	c.writeCommand(append([]string{verb}, names...)...)
	if err := c.flush(); err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, subscribeWriteBytes)
	defer out.Flush()
	var line []byte
	var received int64
	for o.count == 0 || received < o.count {
		if !c.rd.buffered() {
			if err := out.Flush(); err != nil { // nothing more waiting: show what came
				return err
			}
		}
		rp, err := c.rd.readReply()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return errors.New("the server closed the connection")
			}
			return err
		}
		var pattern, channel, payload []byte
		if rp.kind == '-' {
			return &replyError{string(rp.str)}
		}
		switch kind := pushKind(rp); {
		case string(kind) == "subscribe" || string(kind) == "psubscribe":
			if len(rp.elems) >= 2 {
				fmt.Fprintf(stderr, "subscribed to %s\n", rp.elems[1].str)
			}
			continue
		case string(kind) == "message" && len(rp.elems) == 3:
			channel, payload = rp.elems[1].str, rp.elems[2].str
		case string(kind) == "pmessage" && len(rp.elems) == 4:
			pattern, channel, payload = rp.elems[1].str, rp.elems[2].str, rp.elems[3].str
		default:
			continue // an unrelated push
		}
		received++
		line = line[:0]
		if o.format == "json" {
			line = appendMessageJSON(line, channel, pattern, payload, o.pattern)
		} else {
			line = append(line, channel...)
			line = append(line, '\t')
			line = append(line, payload...)
			line = append(line, '\n')
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// pushKind returns the first element of a push ("message", "subscribe", …).
func pushKind(rp *reply) []byte {
	if rp.kind != '*' || len(rp.elems) == 0 || rp.elems[0].kind != '$' {
		return nil
	}
	return rp.elems[0].str
}

// appendMessageJSON appends {"channel":…,"pattern":…,"payload":…}\n.
func appendMessageJSON(dst, channel, pattern, payload []byte, isPattern bool) []byte {
	dst = appendJSONKeyValue(dst, "{", "channel", channel)
	if isPattern {
		dst = appendJSONKeyValue(dst, ",", "pattern", pattern)
	} else {
		dst = append(dst, `,"pattern":null`...)
	}
	dst = appendJSONKeyValue(dst, ",", "payload", payload)
	return append(dst, "}\n"...)
}
