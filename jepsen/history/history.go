// Package history is the record of a harness run: every client operation
// (its invocation and its completion) and every nemesis event, in the order
// they happened, saved as JSON lines. The checker reads nothing else.
package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Type is the kind of an event.
type Type string

// Event types. An operation is an Invoke followed by exactly one of OK
// (it happened), Fail (it certainly did not) or Info (unknown: a timeout,
// a lost connection, a write error after which the outcome is undecided).
const (
	Invoke Type = "invoke"
	OK     Type = "ok"
	Fail   Type = "fail"
	Info   Type = "info"
)

// Operation names (F) of clients.
const (
	FPublish   = "publish"   // PUBLISH channel value
	FXAdd      = "xadd"      // XADD channel * message value
	FRead      = "read"      // XRANGE pages of a channel
	FReplay    = "replay"    // the rewind replay command
	FSubscribe = "subscribe" // a live subscription session (invoke: start, ok/info: end)
	FRecv      = "recv"      // messages a subscription received (Type OK)
	// FBuffered: messages a subscriber that drops its connection finds
	// in its buffers (read from the socket, never handed to it): what
	// reached the client's machine but not the application (Type OK).
	FBuffered = "buffered"

	// The queue workload (consumer groups).
	FGroupCreate = "xgroup-create" // XGROUP CREATE channel group 0 MKSTREAM [policy]
	FReadGroup   = "xreadgroup"    // XREADGROUP GROUP group consumer ... STREAMS channel From (">" or "0")
	FAutoClaim   = "xautoclaim"    // XAUTOCLAIM channel group consumer min-idle 0-0
	FXAck        = "xack"          // one XACK per ID, pipelined (IDs; completion: Acked, those that returned 1)
	FPending     = "xpending"      // XPENDING channel group - + n: per-entry delivery counts
	FCrash       = "crash"         // a consumer drops its connection without acking what it holds (Type Info)
	FDrain       = "drain"         // the final drain of a group (ok: nothing pending, nothing new)
	FDeadLetters = "dead-letters"  // a read of a dead-letter channel (DeadLetters)
)

// NemesisProcess is the Process of nemesis events.
const NemesisProcess = -1

// Entry is one log entry as a client saw it.
type Entry struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Op is one event. Reads carry what they returned in Entries; a read that
// starts where an earlier full read of the channel started repeats none of
// its entries: Base is that read's Index, Same how many of its first
// entries this read also returned, and Entries only the rest (see Recorder).
type Op struct {
	Index    int      `json:"index"`
	Time     int64    `json:"time"` // ns since the run started
	Process  int      `json:"process"`
	Type     Type     `json:"type"`
	F        string   `json:"f"`
	Node     string   `json:"node,omitempty"`
	Channel  string   `json:"channel,omitempty"`
	Channels []string `json:"channels,omitempty"` // subscribe: every channel of the session
	Value    string   `json:"value,omitempty"`
	ID       string   `json:"id,omitempty"`
	Attempt  int      `json:"attempt,omitempty"` // >1: a retry of the same value
	Final    bool     `json:"final,omitempty"`   // a read after every fault healed
	After    *Entry   `json:"after,omitempty"`   // read: the entry just before the first returned (nil: from the start)
	Entries  []Entry  `json:"entries,omitempty"`
	Values   []string `json:"values,omitempty"` // recv: payloads in arrival order
	Base     int      `json:"base,omitempty"`
	Same     int      `json:"same,omitempty"`
	Count    int      `json:"count,omitempty"` // read: entries returned in all (Same + len(Entries))
	Error    string   `json:"error,omitempty"`
	Clean    bool     `json:"clean,omitempty"` // subscribe end: closed by us after a ping, nothing lost in transit
	Ready    int64    `json:"ready,omitempty"` // subscribe end: when the subscription was surely registered (ns)
	Until    int64    `json:"until,omitempty"` // subscribe end: when the closing ping was sent (ns)
	Detail   string   `json:"detail,omitempty"`
	Workload string   `json:"workload,omitempty"`

	// Consumer groups (the queue workload).
	Group       string       `json:"group,omitempty"`
	Consumer    string       `json:"consumer,omitempty"`
	From        string       `json:"from,omitempty"`         // xreadgroup: ">" (new entries) or "0" (the consumer's own pending)
	IDs         []string     `json:"ids,omitempty"`          // xack: the IDs acknowledged
	Acked       []string     `json:"acked,omitempty"`        // xack completion: the IDs whose XACK returned 1
	Policy      *GroupPolicy `json:"policy,omitempty"`       // xgroup-create: the redelivery options (nil: plain Redis)
	Pending     []Pending    `json:"pending,omitempty"`      // xpending completion
	DeadLetters []DeadLetter `json:"dead_letters,omitempty"` // dead-letters completion

	// Named (resumable) subscribers: the name a session used (CLIENT SETNAME).
	Name string `json:"name,omitempty"`
}

// GroupPolicy is rewind's broker-side redelivery policy of a group.
type GroupPolicy struct {
	AckWaitMs  int64  `json:"ack_wait_ms"`
	MaxDeliver int64  `json:"max_deliver"`
	DeadLetter string `json:"dead_letter"`
}

// Pending is one entry of XPENDING's extended form.
type Pending struct {
	ID         string `json:"id"`
	Consumer   string `json:"consumer"`
	Deliveries int64  `json:"deliveries"`
}

// DeadLetter is one entry of a dead-letter channel: the original entry's
// value and ID, and how often it was delivered.
type DeadLetter struct {
	ID         string `json:"id"`     // in the dead-letter channel
	Value      string `json:"value"`  // the original "message" field
	Source     string `json:"source"` // dlq-channel
	SourceID   string `json:"source_id"`
	Deliveries int64  `json:"deliveries"`
	Fields     string `json:"fields,omitempty"` // set when the entry did not have the expected shape
}

// Recorder appends events to a JSON-lines file. It is safe for concurrent
// use; Index and Time are assigned under its lock, so file order is
// time order.
type Recorder struct {
	mu       sync.Mutex
	start    time.Time
	w        *bufio.Writer
	f        *os.File
	enc      *json.Encoder
	next     int
	lastFull map[string]fullRead // by channel: the last read from the start
	err      error
	onEvent  func(Op)
}

type fullRead struct {
	index   int
	entries []Entry
}

// NewRecorder creates path and records into it; times count from start.
func NewRecorder(path string, start time.Time) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	return &Recorder{start: start, w: w, f: f, enc: json.NewEncoder(w), lastFull: map[string]fullRead{}}, nil
}

// OnEvent sets a function called (under the lock, so keep it quick) with
// every recorded event, before any delta encoding of its entries.
func (r *Recorder) OnEvent(fn func(Op)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onEvent = fn
}

// Since returns the run time now.
func (r *Recorder) Since() int64 { return int64(time.Since(r.start)) }

// Record stamps op with the next Index and the current time, writes it and
// returns it. A read from the start (After == nil) is delta-encoded against
// the channel's previous read from the start.
func (r *Recorder) Record(op Op) Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	op.Index = r.next
	r.next++
	op.Time = r.Since()
	if r.onEvent != nil {
		r.onEvent(op)
	}
	out := op
	if isRead(op) {
		out.Count = len(op.Entries)
		if op.After == nil {
			out = r.deltaLocked(out)
		}
	}
	if err := r.enc.Encode(out); err != nil && r.err == nil {
		r.err = err
	}
	return op
}

func isRead(op Op) bool {
	return (op.F == FRead || op.F == FReplay) && op.Type == OK
}

// deltaLocked encodes a read from the start against the last one.
func (r *Recorder) deltaLocked(op Op) Op {
	full := op.Entries
	prev, ok := r.lastFull[op.Channel]
	r.lastFull[op.Channel] = fullRead{index: op.Index, entries: full}
	if !ok {
		return op
	}
	same := 0
	for same < len(full) && same < len(prev.entries) && full[same] == prev.entries[same] {
		same++
	}
	if same == 0 {
		return op
	}
	op.Base, op.Same = prev.index, same
	op.Entries = full[same:]
	op.After = &full[same-1]
	return op
}

// Close flushes and closes the file.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// Load reads a history file.
func Load(path string) ([]Op, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f)
}

// Read decodes JSON-lines events.
func Read(r io.Reader) ([]Op, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var ops []Op
	for {
		var op Op
		err := dec.Decode(&op)
		if err == io.EOF {
			return ops, nil
		}
		if err != nil {
			return ops, fmt.Errorf("history event %d: %w", len(ops), err)
		}
		ops = append(ops, op)
	}
}
