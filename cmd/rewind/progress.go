package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows entries done (of a total, when known) and the rate on
// stderr. A nil *progress shows nothing, so callers need no checks. Callers
// report in batches (a page, a few thousand entries): the bar takes a lock
// per call.
type progress struct {
	bar  *progressbar.ProgressBar
	out  io.Writer
	done int64
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// wantProgress decides whether replay shows a bar: when it writes to a file
// (-o), or when stderr is a terminal and stdout is not (with both on one
// terminal the bar would be drawn through the entries). Never when stderr
// is a pipe and there is no -o.
func wantProgress(stdout, stderr io.Writer, toFile, disabled bool) bool {
	if disabled {
		return false
	}
	return toFile || (isTerminal(stderr) && !isTerminal(stdout))
}

// newProgress returns a bar counting entries towards total (unknown when
// total <= 0), or nil when show is false.
func newProgress(stderr io.Writer, show bool, total int64, desc string) *progress {
	if !show {
		return nil
	}
	if total <= 0 {
		total = -1 // unknown: a spinner, the count and the rate
	}
	throttle := 100 * time.Millisecond
	if !isTerminal(stderr) {
		throttle = time.Second // a log file: fewer, but still some, updates
	}
	p := &progress{out: stderr}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("entries"),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionThrottle(throttle),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
	return p
}

// add counts n more entries.
func (p *progress) add(n int) {
	if p == nil || n == 0 {
		return
	}
	p.done += int64(n)
	_ = p.bar.Add64(int64(n))
}

// finish draws the final state (a full bar: a range that ended before the
// estimated total is still complete) and ends the line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	if p.done == 0 {
		_ = p.bar.Clear()
		return
	}
	p.bar.ChangeMax64(p.done)
	_ = p.bar.Finish()
	fmt.Fprintln(p.out)
}
