// Package report writes a run's verdict: verdict.json, report.html and the
// throughput and latency plots (PNG, fault intervals shaded).
package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rewind-mq/rewind/jepsen/checker"
	"github.com/rewind-mq/rewind/jepsen/history"
)

// Run describes how a history was made (saved as run.json).
type Run struct {
	Command   []string      `json:"command"`
	Seed      uint64        `json:"seed"`
	Started   time.Time     `json:"started"`
	Length    time.Duration `json:"length"`
	Rate      int           `json:"rate"`
	Nemeses   []string      `json:"nemeses"`
	Workloads []string      `json:"workloads"`
	Schedule  any           `json:"schedule,omitempty"`
	Notes     []string      `json:"notes,omitempty"`
}

// Verdict is verdict.json.
type Verdict struct {
	checker.Result
	Figures Figures `json:"figures"`
	Run     Run     `json:"run"`
}

// kindDocs explains each anomaly kind in the report.
var kindDocs = map[string]string{
	checker.KindLost:              "an acknowledged write is missing from the final log",
	checker.KindPhantom:           "a read or subscriber got a value no client ever wrote",
	checker.KindReusedID:          "one message ID was seen with two different values",
	checker.KindWrongID:           "a value was seen under an ID the final log does not hold it at",
	checker.KindOrder:             "a reader or subscriber saw entries in another order than the log's",
	checker.KindGap:               "a read skipped entries between two it returned",
	checker.KindStaleRead:         "a full replay lacked a write acknowledged before it began",
	checker.KindDuplicate:         "a value stored twice with no retry to explain it, a group delivery after the entry was acknowledged (or through > without an ack wait), ",
	checker.KindUncommittedRead:   "a value was read or delivered, then vanished from the log",
	checker.KindIDOrder:           "a write got an ID not above one acknowledged before it began",
	checker.KindMissed:            "a live subscriber, connected throughout, missed an acknowledged message",
	checker.KindNoFinalRead:       "a channel could not be read after the faults healed",
	checker.KindFinalDisagree:     "final readers (XRANGE pages, rewind replay) returned different logs",
	checker.KindNonLinearizable:   "porcupine found no linearization of the lin channel",
	checker.KindQueueLost:         "after the final drain, an entry was neither acknowledged by its consumer group nor dead-lettered",
	checker.KindDeadLetter:        "a dead-letter entry was wrong, repeated, before MAXDELIVER deliveries, or of an entry also acknowledged",
	checker.KindDeliveryCount:     "XPENDING or a dead letter counted fewer deliveries than clients saw",
	checker.KindNoDrain:           "a consumer group could not be drained after the faults healed",
	checker.KindResumeGap:         "a named (resumable) subscriber's sessions together skipped entries of the log",
	checker.KindResumeDuplicate:   "a named subscriber got entries again after a confirmed UNSUBSCRIBE (jepsen/README.md bug 4, fixed)",
	checker.KindOverMaxDeliver:    "an entry was delivered more than its group's MAXDELIVER times (jepsen/README.md bug 5, fixed)",
	checker.KindCorruptWrongValue: "a node on damaged files served a wrong or made-up entry",
	checker.KindCorruptSilentLoss: "a node on damaged files served a log missing acknowledged entries, without an error (warning)",
	checker.KindCorruptCrash:      "a node on damaged files crashed with a panic instead of answering with an error (warning)",
}

// Write writes verdict.json, report.html, throughput.png and latency.png
// into dir.
func Write(dir string, run Run, ops []history.Op, res checker.Result) (Verdict, error) {
	s := newSeries(ops)
	v := Verdict{Result: res, Figures: s.figures(), Run: run}
	if err := throughputPlot(s, res.Unavailability, filepath.Join(dir, "throughput.png")); err != nil {
		return v, fmt.Errorf("throughput plot: %w", err)
	}
	if err := latencyPlot(s, res.Unavailability, filepath.Join(dir, "latency.png")); err != nil {
		return v, fmt.Errorf("latency plot: %w", err)
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return v, err
	}
	if err := os.WriteFile(filepath.Join(dir, "verdict.json"), append(data, '\n'), 0o644); err != nil {
		return v, err
	}
	return v, writeHTML(filepath.Join(dir, "report.html"), v, ops)
}

// example is one anomaly with its events rendered in full.
type example struct {
	checker.Anomaly
	Events []string
}

type kindSection struct {
	Kind      string
	Doc       string
	Count     int
	Violation bool
	Examples  []example
}

func sections(v Verdict, ops []history.Op) []kindSection {
	byIndex := make(map[int]history.Op, len(ops))
	for _, op := range ops {
		byIndex[op.Index] = op
	}
	var out []kindSection
	for _, kind := range v.Kinds() {
		sec := kindSection{Kind: kind, Doc: kindDocs[kind], Count: v.Counts[kind], Violation: checker.IsViolation(kind)}
		for _, a := range v.Examples[kind] {
			ex := example{Anomaly: a}
			for _, i := range a.Ops {
				if op, ok := byIndex[i]; ok {
					ex.Events = append(ex.Events, renderOp(op))
				}
			}
			sec.Examples = append(sec.Examples, ex)
		}
		out = append(out, sec)
	}
	return out
}

// renderOp shows an event as JSON, with long entry lists shortened.
func renderOp(op history.Op) string {
	const keep = 12
	extra := ""
	if n := len(op.Entries); n > 2*keep {
		extra = fmt.Sprintf(" (entries: %d shown of %d: the first and last %d)", 2*keep, n, keep)
		op.Entries = append(append([]history.Entry(nil), op.Entries[:keep]...), op.Entries[n-keep:]...)
	}
	if n := len(op.Values); n > 2*keep {
		extra += fmt.Sprintf(" (values: %d shown of %d)", 2*keep, n)
		op.Values = append(append([]string(nil), op.Values[:keep]...), op.Values[n-keep:]...)
	}
	data, _ := json.Marshal(op)
	return string(data) + extra
}

func writeHTML(path string, v Verdict, ops []history.Op) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	data := map[string]any{
		"V":        v,
		"Sections": sections(v, ops),
		"Command":  strings.Join(v.Run.Command, " "),
	}
	if err := page.Execute(f, data); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{"ms": fmtMs}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>rewind jepsen: {{if .V.Valid}}valid{{else}}INVALID{{end}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
.verdict{font-size:2em;font-weight:bold;padding:.3em .6em;display:inline-block;border-radius:6px}
.ok{background:#d8f5dc;color:#135c1f}.bad{background:#fbd9d9;color:#8a1010}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
pre{background:#f5f5f5;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:.85em}
img{max-width:100%;border:1px solid #ddd}.warn{color:#8a5a00}
</style></head><body>
<h1>rewind fault-injection run</h1>
<p class="verdict {{if .V.Valid}}ok{{else}}bad{{end}}">{{if .V.Valid}}VALID: no violation found{{else}}INVALID: violations found{{end}}</p>
<p><code>{{.Command}}</code><br>seed {{.V.Run.Seed}} · started {{.V.Run.Started.Format "2006-01-02 15:04:05 MST"}} · length {{.V.Run.Length}} · rate {{.V.Run.Rate}}/s ·
nemeses {{.V.Run.Nemeses}} · workloads {{.V.Run.Workloads}}</p>
{{range .V.Run.Notes}}<p class="warn">{{.}}</p>{{end}}

<h2>Anomalies</h2>
{{if not .Sections}}<p>None.</p>{{else}}
<table><tr><th>kind</th><th>count</th><th>fails the run</th><th>meaning</th></tr>
{{range .Sections}}<tr><td><a href="#{{.Kind}}">{{.Kind}}</a></td><td>{{.Count}}</td><td>{{if .Violation}}yes{{else}}no (warning){{end}}</td><td>{{.Doc}}</td></tr>{{end}}
</table>{{end}}

<h2>Numbers</h2>
{{with .V.Stats}}<table>
<tr><td>writes (PUBLISH, XADD)</td><td>{{.Writes}}: {{.WritesOK}} acknowledged, {{.WritesFailed}} failed, {{.WritesUnknown}} unknown ({{.UnknownInFinal}} of those are in the final log)</td></tr>
<tr><td>reads</td><td>{{.Reads}} ({{.ReadEntries}} entries)</td></tr>
<tr><td>subscriber sessions</td><td>{{.Sessions}} ({{.CleanSessions}} closed cleanly and checked for completeness), {{.Deliveries}} messages delivered</td></tr>
<tr><td>duplicates explained by retries</td><td>{{.DuplicatesOK}}</td></tr>
{{with .Queue}}<tr><td>consumer groups</td><td>{{.Deliveries}} deliveries, {{.Redeliveries}} redeliveries; {{.Acked}} entries acked, {{.AckedUnknown}} acked only by an XACK of unknown outcome, {{.DeadLettered}} dead-lettered; {{.Crashes}} consumer crashes; {{.LostAcknowledged}} acknowledged XADDs lost by the group; {{.RetriedValues}} values delivered under two IDs (retried XADDs); {{.OverMaxDeliver}} entries delivered more than MAXDELIVER times</td></tr>
<tr><td>redeliveries by reason</td><td>{{range $r, $n := .RedeliveryBy}}{{$r}}: {{$n}}<br>{{end}}</td></tr>{{end}}
{{with .Named}}<tr><td>named subscribers</td><td>{{.Names}} names, {{.Sessions}} sessions (by end: {{range $e, $n := .SessionsByEnd}}{{$e}} {{$n}} {{end}}), {{.Seams}} seams checked, {{.Received}} messages; {{.Duplicates}} duplicates ({{range $e, $n := .DuplicatesBy}}after {{$e}}: {{$n}} {{end}}); after a client drop {{.SkippedDrops}} skipped in flight and {{.SkippedBuffered}} from the client's buffers</td></tr>{{end}}
<tr><td>final log sizes</td><td>{{range $ch, $n := .FinalEntries}}{{$ch}}: {{$n}} &nbsp; {{end}}</td></tr>
<tr><td>faults</td><td>{{.NemesisEvents}}</td></tr>
</table>{{end}}
{{with .V.Figures}}<table>
<tr><td>acknowledged writes/s</td><td>mean {{printf "%.0f" .MeanWritesPerSec}}, peak {{printf "%.0f" .PeakWritesPerSec}}</td></tr>
<tr><td>write latency</td><td>p50 {{ms .WriteP50Ms}}, p99 {{ms .WriteP99Ms}}, max {{ms .WriteMaxMs}}</td></tr>
<tr><td>messages delivered/s</td><td>mean {{printf "%.0f" .DeliveriesPerSec}}</td></tr>
<tr><td>{{.BucketSeconds}} s buckets without an acknowledged write</td><td>{{.ZeroWriteBuckets}}</td></tr>
</table>{{end}}
{{with .V.Linearizability}}<p>Linearizability of channel <code>{{.Channel}}</code> (porcupine, {{.Operations}} operations, {{printf "%.0f" .DurationMs}} ms): <b>{{.Result}}</b>
{{if .Visualization}} — <a href="{{.Visualization}}">visualization</a>{{end}} {{.Detail}}</p>{{end}}

<h2>Plots</h2>
<img src="throughput.png" alt="throughput"><br><img src="latency.png" alt="latency">

{{range .Sections}}<h2 id="{{.Kind}}">{{.Kind}} ({{.Count}})</h2><p>{{.Doc}}. First examples:</p>
{{range .Examples}}<h3>{{.Channel}} {{.ID}} {{.Value}}</h3><p>{{.Detail}}</p>{{range .Events}}<pre>{{.}}</pre>{{end}}{{end}}
{{end}}

<h2>Faults and unavailability</h2>
<table><tr><th>nemesis</th><th>what</th><th>start (s)</th><th>end (s)</th><th>first acknowledged write after the end</th><th>longest stretch without one</th></tr>
{{range .V.Unavailability}}<tr><td>{{.Nemesis}}</td><td>{{.Detail}}</td><td>{{printf "%.2f" .Start}}</td><td>{{printf "%.2f" .End}}</td><td>{{if lt .RecoveryMs 0.0}}none{{else}}{{ms .RecoveryMs}}{{end}}</td><td>{{ms .OutageMs}}</td></tr>{{end}}
</table>

{{if .V.Corruption}}<h2>Corruption probes</h2>
<table><tr><th>probe</th><th>damage</th><th>what the node did</th><th>entries served</th><th>acknowledged missing</th><th>wrong or made up</th></tr>
{{range .V.Corruption}}<tr><td>{{.Node}}</td><td>{{.Mutation}}</td><td>{{.Outcome}}</td><td>{{.Entries}}</td><td>{{.Missing}}</td><td>{{.Wrong}}</td></tr>{{end}}
</table>{{end}}

<p>Files: <a href="history.jsonl">history.jsonl</a> · <a href="verdict.json">verdict.json</a> · <a href="run.json">run.json</a> · node logs in this directory.</p>
</body></html>
`))
