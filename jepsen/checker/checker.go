// Package checker judges a harness history: pure functions from the events
// of history.jsonl to a verdict. It never talks to a server.
//
// The reference is each channel's final log: the entries a reader got by
// replaying the channel from the start after every fault had healed. Against
// it the checker finds acknowledged writes that are missing (lost), values
// nobody wrote (phantom), one ID with two values (reused-id), reads that
// skipped or reordered entries, reads of entries that later vanished
// (uncommitted-read), stale full reads, IDs that went backwards in real time,
// unexplained duplicates, live subscribers that missed or reordered
// messages, and, for the linearizability channel, histories porcupine
// cannot linearize. It also measures how long each fault left the node
// unable to acknowledge writes.
package checker

import (
	"fmt"
	"sort"
	"time"

	"github.com/rewind-mq/rewind/jepsen/history"
)

// Anomaly kinds. Every kind is a violation except those in warningKinds.
const (
	KindLost              = "lost"                // an acknowledged write is not in the final log
	KindPhantom           = "phantom"             // a value read or delivered that no client ever wrote
	KindReusedID          = "reused-id"           // one ID seen with two different values
	KindWrongID           = "wrong-id"            // a value seen under an ID it is not stored under
	KindOrder             = "order"               // values seen in another order than the log's
	KindGap               = "gap"                 // a read skipped entries between two it returned
	KindStaleRead         = "stale-read"          // a full read missed a write acknowledged before it began
	KindDuplicate         = "duplicate"           // a value stored twice with no retry to explain it
	KindUncommittedRead   = "uncommitted-read"    // a value read or delivered that the final log lacks
	KindIDOrder           = "id-order"            // a write got a smaller ID than one acknowledged before it began
	KindMissed            = "missed"              // a live subscriber missed a message published while it listened
	KindNoFinalRead       = "no-final-read"       // the channel could not be read after the faults healed
	KindFinalDisagree     = "final-disagree"      // final readers (XRANGE, replay) returned different logs
	KindNonLinearizable   = "nonlinearizable"     // porcupine found no linearization
	KindQueueLost         = "queue-lost"          // after the final drain, an entry neither acknowledged by its group nor dead-lettered
	KindDeadLetter        = "dead-letter"         // a dead-letter entry that is wrong, repeated, early, or of an entry also acknowledged
	KindDeliveryCount     = "delivery-count"      // XPENDING or a dead letter counted fewer deliveries than clients saw
	KindNoDrain           = "no-final-drain"      // a consumer group could not be drained after the faults healed
	KindResumeGap         = "resume-gap"          // a named subscriber's stream skipped entries of the log
	KindResumeDuplicate   = "resume-duplicate"    // a named subscriber got entries again after a confirmed UNSUBSCRIBE
	KindOverMaxDeliver    = "over-max-deliver"    // an entry delivered more than its group's MAXDELIVER times
	KindCorruptWrongValue = "corrupt-wrong-value" // a node on corrupted files served a wrong or made-up entry
	KindCorruptSilentLoss = "corrupt-silent-loss" // a node on corrupted files served a log missing acknowledged entries, without an error
	KindCorruptCrash      = "corrupt-crash"       // a node on corrupted files crashed (a panic) instead of answering with an error
)

// warningKinds are reported but do not fail the run: what a node does on
// damaged files is recorded; only serving a wrong value fails it.
// (resume-duplicate and over-max-deliver were warnings while bugs 4 and 5
// of jepsen/README.md were open; they are violations since the fixes.)
var warningKinds = map[string]bool{KindCorruptSilentLoss: true, KindCorruptCrash: true}

// IsViolation reports whether an anomaly kind fails the run.
func IsViolation(kind string) bool { return !warningKinds[kind] }

// Options tune a check.
type Options struct {
	MaxExamples int           // examples kept per kind (default 5)
	LinChannel  string        // channel checked with porcupine ("" : none)
	LinTimeout  time.Duration // porcupine's budget (default 60s)
	LinOutput   string        // where to write porcupine's visualization of a failure ("" : nowhere)
}

// Anomaly is one problem, with the events that show it.
type Anomaly struct {
	Kind    string `json:"kind"`
	Channel string `json:"channel,omitempty"`
	Value   string `json:"value,omitempty"`
	ID      string `json:"id,omitempty"`
	Detail  string `json:"detail"`
	Ops     []int  `json:"ops,omitempty"` // indexes of the events involved
}

// Stats count what the history holds.
type Stats struct {
	Writes         int            `json:"writes"`
	WritesOK       int            `json:"writes_ok"`
	WritesFailed   int            `json:"writes_failed"`
	WritesUnknown  int            `json:"writes_unknown"`
	Reads          int            `json:"reads"`
	ReadEntries    int            `json:"read_entries"`
	Deliveries     int            `json:"deliveries"`
	Sessions       int            `json:"subscriber_sessions"`
	CleanSessions  int            `json:"clean_subscriber_sessions"`
	FinalEntries   map[string]int `json:"final_entries"`
	DuplicatesOK   int            `json:"duplicates_explained"`
	UnknownInFinal int            `json:"unknown_writes_in_final_log"`
	NemesisEvents  int            `json:"nemesis_events"`
	Queue          *QueueStats    `json:"queue,omitempty"`
	Named          *NamedStats    `json:"named_subscribers,omitempty"`
}

// Result is the verdict.
type Result struct {
	Valid           bool                 `json:"valid"`
	Counts          map[string]int       `json:"anomaly_counts"`
	Examples        map[string][]Anomaly `json:"anomalies"`
	Stats           Stats                `json:"stats"`
	Unavailability  []Window             `json:"unavailability"`
	Linearizability *LinResult           `json:"linearizability,omitempty"`
	Corruption      []Probe              `json:"corruption,omitempty"`
}

// report collects anomalies.
type report struct {
	max      int
	counts   map[string]int
	examples map[string][]Anomaly
}

func (r *report) add(a Anomaly) {
	r.counts[a.Kind]++
	if len(r.examples[a.Kind]) < r.max {
		r.examples[a.Kind] = append(r.examples[a.Kind], a)
	}
}

// Check judges a whole history.
func Check(ops []history.Op, opts Options) Result {
	if opts.MaxExamples == 0 {
		opts.MaxExamples = 5
	}
	rep := &report{max: opts.MaxExamples, counts: map[string]int{}, examples: map[string][]Anomaly{}}
	m := buildModel(ops, rep)
	m.checkWrites()
	m.checkReads()
	m.checkIDOrder()
	m.checkSessions()
	m.checkQueues()
	m.checkNamed()
	res := Result{
		Counts:         rep.counts,
		Examples:       rep.examples,
		Stats:          m.stats(),
		Unavailability: Unavailability(ops),
		Corruption:     m.probes,
	}
	res.Stats.Queue, res.Stats.Named = m.countQueue(), m.namedStats
	if opts.LinChannel != "" {
		lr := CheckLinearizable(ops, opts.LinChannel, opts.LinTimeout, opts.LinOutput)
		res.Linearizability = &lr
		if lr.Result == "Illegal" {
			rep.add(Anomaly{Kind: KindNonLinearizable, Channel: opts.LinChannel, Detail: lr.Detail})
		}
	}
	res.Valid = true
	for kind, n := range rep.counts {
		if n > 0 && IsViolation(kind) {
			res.Valid = false
		}
	}
	return res
}

// Kinds returns the anomaly kinds of r, violations first, sorted.
func (r Result) Kinds() []string {
	var kinds []string
	for k := range r.Counts {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		vi, vj := IsViolation(kinds[i]), IsViolation(kinds[j])
		if vi != vj {
			return vi
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}

func describeEntry(e history.Entry) string { return fmt.Sprintf("%s=%q", e.ID, e.Value) }
