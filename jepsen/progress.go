package main

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// progress prints one status line: on a terminal rewritten every second,
// otherwise a new line every 10 s.
type progress struct {
	w        io.Writer
	tty      bool
	length   time.Duration
	fault    func() string
	began    time.Time
	ok       atomic.Int64
	failed   atomic.Int64
	unknown  atomic.Int64
	reads    atomic.Int64
	recv     atomic.Int64
	faults   atomic.Int64
	lastOK   int64
	lastTime time.Time
}

func newProgress(w io.Writer, length time.Duration, fault func() string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, tty: tty, length: length, fault: fault, began: time.Now(), lastTime: time.Now()}
}

// count is the recorder's event hook (runs under its lock: only atomics).
func (p *progress) count(op history.Op) {
	write := op.F == history.FPublish || op.F == history.FXAdd
	switch {
	case op.Process == history.NemesisProcess && op.Type == history.Invoke:
		p.faults.Add(1)
	case op.F == history.FRecv:
		p.recv.Add(int64(len(op.Values)))
	case op.Type == history.Invoke:
	case write && op.Type == history.OK:
		p.ok.Add(1)
	case write && op.Type == history.Fail:
		p.failed.Add(1)
	case write:
		p.unknown.Add(1)
	case op.Type == history.OK:
		p.reads.Add(1)
	}
}

// start prints until the returned function is called.
func (p *progress) start() func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	every := time.Second
	if !p.tty {
		every = 10 * time.Second
	}
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				p.print("\n")
				return
			case <-t.C:
				p.print("")
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func (p *progress) print(end string) {
	now := time.Now()
	ok := p.ok.Load()
	rate := float64(ok-p.lastOK) / now.Sub(p.lastTime).Seconds()
	p.lastOK, p.lastTime = ok, now
	fault := p.fault()
	if fault == "" {
		fault = "-"
	}
	line := fmt.Sprintf("%4.0fs/%.0fs  writes ok %d unknown %d failed %d (%.0f/s)  reads %d  delivered %d  faults %d, now: %-9s",
		now.Sub(p.began).Seconds(), p.length.Seconds(), ok, p.unknown.Load(), p.failed.Load(), rate, p.reads.Load(), p.recv.Load(), p.faults.Load(), fault)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s%s", line, end)
		return
	}
	fmt.Fprintln(p.w, line)
}
