package bench

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one measurement of one test on one system.
type Result struct {
	Workload   string          `json:"workload"` // publish, replay, latency, fanout, memory
	Test       string          `json:"test"`     // e.g. "XADD 32 clients x100"
	System     string          `json:"system"`   // e.g. redis-always
	Label      string          `json:"system_label"`
	Clients    int             `json:"clients,omitempty"`
	Depth      int             `json:"depth,omitempty"` // commands in flight per client
	Count      int64           `json:"count,omitempty"` // messages, entries or deliveries measured
	ElapsedSec float64         `json:"elapsed_s,omitempty"`
	MsgsPerSec float64         `json:"msgs_per_s,omitempty"`
	Latency    *latencySummary `json:"latency,omitempty"`
	MemBytes   float64         `json:"memory_bytes,omitempty"` // per MemUnit
	MemUnit    string          `json:"memory_unit,omitempty"`  // e.g. "B/conn"
	Extra      map[string]any  `json:"extra,omitempty"`
	Error      string          `json:"error,omitempty"`
	Run        int             `json:"run,omitempty"`  // with --runs > 1: the run that measured it, from 1
	Runs       int             `json:"runs,omitempty"` // a median: how many runs measured it without error
}

// key identifies a test across systems.
func (r Result) key() string { return r.Workload + " " + r.Test }

// metric is the number ratios compare: memory, else p99 for latency tests, else msgs/s.
func (r Result) metric() (v float64, name string, higherBetter bool) {
	switch {
	case r.MemUnit != "":
		return r.MemBytes, r.MemUnit, false
	case r.Workload == "latency" && r.Latency != nil:
		return r.Latency.P99Ms, "p99", false
	}
	return r.MsgsPerSec, "msgs/s", true
}

func (r Result) summary() string {
	if r.Error != "" {
		return "ERROR: " + r.Error
	}
	var parts []string
	if r.MsgsPerSec > 0 {
		parts = append(parts, fmt.Sprintf("%.0f msgs/s", r.MsgsPerSec))
	}
	if r.Latency != nil {
		parts = append(parts, fmt.Sprintf("p50 %.3f p99 %.3f p99.9 %.3f ms",
			r.Latency.P50Ms, r.Latency.P99Ms, r.Latency.P999Ms))
	}
	if r.MemUnit != "" {
		parts = append(parts, fmt.Sprintf("%.1f %s", r.MemBytes, r.MemUnit))
	}
	return strings.Join(parts, ", ")
}

// Ratio compares rewind (or rewind-base) with another system on one test.
type Ratio struct {
	Workload     string  `json:"workload"`
	Test         string  `json:"test"`
	System       string  `json:"system"`  // rewind or rewind-base
	Against      string  `json:"against"` // system (and test, when it differs)
	Metric       string  `json:"metric"`
	Value        float64 `json:"rewind"` // System's value (the name kept from when only rewind had ratios)
	Other        float64 `json:"other"`
	Ratio        float64 `json:"ratio"` // System / other
	HigherBetter bool    `json:"higher_is_better"`
}

// Report is everything a run saves as JSON.
type Report struct {
	Date         string   `json:"date"`
	Hostname     string   `json:"hostname"`
	NProc        int      `json:"nproc"`
	LoadStart    string   `json:"loadavg_start"` // /proc/loadavg: other work skews the numbers
	LoadEnd      string   `json:"loadavg_end"`
	GoVersion    string   `json:"go_version"`
	OSArch       string   `json:"os_arch"`
	RedisVersion string   `json:"redis_version,omitempty"`
	Options      options  `json:"options"`
	ElapsedSec   float64  `json:"elapsed_s"`
	Notes        []string `json:"notes,omitempty"`
	Results      []Result `json:"results"`               // with --runs > 1, the medians of RunResults
	RunResults   []Result `json:"run_results,omitempty"` // with --runs > 1, every run's results
	Ratios       []Ratio  `json:"ratios"`                // of Results
}

func (h *harness) report() Report {
	host, _ := os.Hostname()
	h.mu.Lock()
	results := sortResults(slices.Clone(h.results))
	notes := slices.Clone(h.notes)
	h.mu.Unlock()
	var runResults []Result
	if h.opts.Runs > 1 {
		runResults, results = results, medianResults(results)
	}
	return Report{
		Date:         time.Now().Format(time.RFC3339),
		Hostname:     host,
		NProc:        runtime.NumCPU(),
		LoadStart:    h.loadStart,
		LoadEnd:      loadAvg(),
		GoVersion:    runtime.Version(),
		OSArch:       runtime.GOOS + "/" + runtime.GOARCH,
		RedisVersion: redisVersion(h.opts.RedisPath),
		Options:      h.opts,
		ElapsedSec:   time.Since(h.started).Seconds(),
		Notes:        notes,
		Results:      results,
		RunResults:   runResults,
		Ratios:       computeRatios(results),
	}
}

// loadAvg returns the first three fields of /proc/loadavg, or "".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

func redisVersion(path string) string {
	if path == "" {
		return ""
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "unknown: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

// sortResults orders by workload, then by the order each test first appeared;
// systems keep the order in which they ran.
func sortResults(rs []Result) []Result {
	firstSeen := map[string]int{}
	for i, r := range rs {
		if _, ok := firstSeen[r.key()]; !ok {
			firstSeen[r.key()] = i
		}
	}
	slices.SortStableFunc(rs, func(a, b Result) int {
		wa, wb := slices.Index(workloadNames, a.Workload), slices.Index(workloadNames, b.Workload)
		return cmp.Or(cmp.Compare(wa, wb), cmp.Compare(firstSeen[a.key()], firstSeen[b.key()]))
	})
	return rs
}

// computeRatios compares every rewind and rewind-base result with the redis
// systems on the same test, rewind with rewind-base (the before/after ratio),
// and every latency p99 of theirs with redis-always's XADD->XREAD p99.
func computeRatios(rs []Result) []Ratio {
	var out []Ratio
	for _, rw := range rs {
		if sys, ok := findSystem(rw.System); !ok || !sys.isRewind() || rw.Error != "" {
			continue
		}
		for _, o := range rs {
			if o.Error == "" && o.key() == rw.key() && hasRatio(rw.System, o.System) {
				out = appendRatio(out, rw, o, o.System)
			}
		}
		if rw.Workload != "latency" || rw.Test == testXaddXread {
			continue
		}
		for _, o := range rs {
			if o.System == "redis-always" && o.Error == "" && o.Workload == "latency" && o.Test == testXaddXread {
				out = appendRatio(out, rw, o, o.System+" "+o.Test)
			}
		}
	}
	return out
}

// hasRatio reports whether the ratio system/other is reported: rewind and
// rewind-base against every redis system, and rewind against rewind-base.
func hasRatio(system, other string) bool {
	o, ok := findSystem(other)
	return ok && (!o.isRewind() || (system == "rewind" && o.base))
}

func appendRatio(out []Ratio, rw, o Result, against string) []Ratio {
	a, metric, higher := rw.metric()
	b, otherMetric, _ := o.metric()
	if b == 0 {
		return out
	}
	if otherMetric != metric {
		metric += " vs " + otherMetric
	}
	return append(out, Ratio{Workload: rw.Workload, Test: rw.Test, System: rw.System, Against: against,
		Metric: metric, Value: a, Other: b, Ratio: a / b, HigherBetter: higher})
}

// writeTable prints one row per result (the medians, with several runs).
func writeTable(w io.Writer, rep Report) {
	if rep.Options.Runs > 1 {
		fmt.Fprintf(w, "median of %d runs:\n", rep.Options.Runs)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "workload\tsystem\tmsgs/s\tp50 ms\tp99 ms\tp99.9 ms\tmemory")
	for _, r := range rep.Results {
		rate, p50, p99, p999, mem := "-", "-", "-", "-", "-"
		if r.MsgsPerSec > 0 {
			rate = fmt.Sprintf("%.0f", r.MsgsPerSec)
		}
		if r.Latency != nil && r.Latency.Count > 0 {
			p50, p99, p999 = fmtMs(r.Latency.P50Ms), fmtMs(r.Latency.P99Ms), fmtMs(r.Latency.P999Ms)
		}
		if r.MemUnit != "" {
			mem = fmt.Sprintf("%.1f %s", r.MemBytes, r.MemUnit)
		}
		if r.Error != "" {
			mem = "ERROR: " + shorten(r.Error, 60)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.key(), r.Label, rate, p50, p99, p999, mem)
	}
	tw.Flush()
	if rep.RunResults != nil {
		writeErrors(w, rep.RunResults)
	} else {
		writeErrors(w, rep.Results)
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// writeErrors lists each distinct error once, with the rows it affected.
func writeErrors(w io.Writer, rs []Result) {
	var order []string
	rows := map[string][]string{}
	for _, r := range rs {
		if r.Error == "" {
			continue
		}
		msg := r.System + ": " + shorten(strings.TrimPrefix(r.Error, errPrefixEarlier), 400)
		if _, ok := rows[msg]; !ok {
			order = append(order, msg)
		}
		rows[msg] = append(rows[msg], r.key())
	}
	if len(order) > 0 {
		fmt.Fprintln(w, "\nerrors:")
	}
	for _, msg := range order {
		fmt.Fprintf(w, "  %s\n    (%d row(s), first: %s)\n", msg, len(rows[msg]), rows[msg][0])
	}
}

func fmtMs(ms float64) string { return fmt.Sprintf("%.3f", ms) }

// fmtNum prints large numbers without decimals and small ones with three.
func fmtNum(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// writeRatios prints the ratio section: rewind/redis, rewind/rewind-base
// and rewind-base/redis.
func writeRatios(w io.Writer, rep Report) {
	fmt.Fprintln(w, "\nratios (system / other system):")
	if len(rep.Ratios) == 0 {
		fmt.Fprintln(w, "  none: rewind was not measured successfully next to another system")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rep.Ratios {
		better := "lower is better"
		if r.HigherBetter {
			better = "higher is better"
		}
		fmt.Fprintf(tw, "  %s %s\t%s vs %s\t%.2fx\t%s\t%s vs %s\t(%s)\n", r.Workload, r.Test, r.System, r.Against,
			r.Ratio, r.Metric, fmtNum(r.Value), fmtNum(r.Other), better)
	}
	tw.Flush()
}

func writeJSON(path string, rep Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// shorten cuts s to n runes on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
