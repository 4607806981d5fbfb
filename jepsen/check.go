package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rewind-mq/rewind/jepsen/checker"
	"github.com/rewind-mq/rewind/jepsen/history"
	"github.com/rewind-mq/rewind/jepsen/report"
	"github.com/rewind-mq/rewind/jepsen/workload"
)

func checkMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "Usage: go run ./jepsen check RUN_DIR\n\nRe-checks a saved history.jsonl and rewrites verdict.json, report.html and the plots.")
		return exitUsage
	}
	return checkDir(args[0], 5, stdout, stderr)
}

// checkDir checks dir/history.jsonl, writes the report, prints a summary
// and returns the exit status.
func checkDir(dir string, maxExamples int, stdout, stderr io.Writer) int {
	ops, err := history.Load(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		fmt.Fprintln(stderr, "jepsen check:", err)
		return exitError
	}
	var run report.Run
	if data, err := os.ReadFile(filepath.Join(dir, "run.json")); err == nil {
		_ = json.Unmarshal(data, &run)
	}
	opts := checker.Options{MaxExamples: maxExamples, LinOutput: filepath.Join(dir, "linearizability.html")}
	if hasChannel(ops, workload.LinChannel) {
		opts.LinChannel = workload.LinChannel
	}
	res := checker.Check(ops, opts)
	if l := res.Linearizability; l != nil && l.Visualization != "" {
		l.Visualization = filepath.Base(l.Visualization)
	}
	v, err := report.Write(dir, run, ops, res)
	if err != nil {
		fmt.Fprintln(stderr, "jepsen check: report:", err)
		return exitError
	}
	printSummary(stdout, dir, v)
	if !res.Valid {
		return exitInvalid
	}
	return exitValid
}

func hasChannel(ops []history.Op, ch string) bool {
	for _, op := range ops {
		if op.Channel == ch {
			return true
		}
	}
	return false
}

func printSummary(w io.Writer, dir string, v report.Verdict) {
	verdict := "VALID"
	if !v.Valid {
		verdict = "INVALID"
	}
	s := v.Stats
	fmt.Fprintf(w, "verdict: %s\n", verdict)
	fmt.Fprintf(w, "writes: %d (%d acknowledged, %d failed, %d unknown); reads: %d; subscriber sessions: %d (%d clean), %d messages\n",
		s.Writes, s.WritesOK, s.WritesFailed, s.WritesUnknown, s.Reads, s.Sessions, s.CleanSessions, s.Deliveries)
	if q := s.Queue; q != nil {
		fmt.Fprintf(w, "queue: %d deliveries, %d redeliveries, %d acked, %d dead-lettered, %d consumer crashes; lost acknowledged: %d\n",
			q.Deliveries, q.Redeliveries, q.Acked, q.DeadLettered, q.Crashes, q.LostAcknowledged)
	}
	if n := s.Named; n != nil {
		fmt.Fprintf(w, "named subscribers: %d sessions, %d seams checked, %d messages, %d duplicates; after a client drop %d skipped in flight, %d skipped from the client's buffers\n",
			n.Sessions, n.Seams, n.Received, n.Duplicates, n.SkippedDrops, n.SkippedBuffered)
	}
	if len(v.Counts) == 0 {
		fmt.Fprintln(w, "anomalies: none")
	}
	for _, kind := range v.Kinds() {
		tag := ""
		if !checker.IsViolation(kind) {
			tag = " (warning)"
		}
		fmt.Fprintf(w, "anomaly %s: %d%s\n", kind, v.Counts[kind], tag)
	}
	if l := v.Linearizability; l != nil {
		fmt.Fprintf(w, "linearizability (%s, %d ops): %s\n", l.Channel, l.Operations, l.Result)
	}
	f := v.Figures
	fmt.Fprintf(w, "acknowledged writes/s: mean %.0f, peak %.0f; write latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		f.MeanWritesPerSec, f.PeakWritesPerSec, f.WriteP50Ms, f.WriteP99Ms, f.WriteMaxMs)
	fmt.Fprintf(w, "faults: %d; report: %s\n", s.NemesisEvents, filepath.Join(dir, "report.html"))
}
