package broker

import "github.com/rewind-mq/rewind/wal"

// Request is a group of Commands applied in one atomic batch, in order,
// with one fsync: a front adds the commands of a pipeline, submits them
// (Broker.Submit or Do), and reads each one's Result once Wait returned.
// A Request is reusable: Reset it after Wait, keeping its memory, so that
// a connection that reuses one allocates nothing per request or command.
// It is not safe for concurrent use.
type Request struct {
	// w is what the writer applies: the commands and their results, side
	// by side, the very values the front fills and reads.
	w *wal.Request
	// fields holds the field lists Publish builds (request_build.go),
	// back to back, so that a publish allocates nothing.
	fields [][]byte
	// index and stampMs, when set (StateMachine.Apply), are the entry's
	// index and the leader's stamp; zero: the writer assigns both.
	index   uint64
	stampMs int64
}

// NewRequest returns an empty reusable request.
func NewRequest() *Request { return &Request{w: wal.NewRequest()} }

// Add appends a zeroed command and returns it, for the caller to fill
// before Submit. The pointer is valid until the next Add (which may move
// the commands); Command(i) reaches any of them. Its Result is zeroed too.
func (r *Request) Add() *Command { return r.w.Add() }

// Len returns how many commands the request holds.
func (r *Request) Len() int { return len(r.w.Commands) }

// Command returns the i-th command.
func (r *Request) Command(i int) *Command { return &r.w.Commands[i] }

// Result returns the outcome of the i-th command: valid once Wait returned
// (before Submit, only its Entries buffer may be set).
func (r *Request) Result(i int) *Result { return &r.w.Results[i] }

// Reset clears the request for reuse, keeping its memory. Call it only
// once Wait returned (or Submit failed).
func (r *Request) Reset() {
	r.w.Reset()
	clear(r.fields)
	r.fields = r.fields[:0]
	r.index, r.stampMs = 0, 0
}

// Applied returns, once Wait returned, the index the request was applied
// at and the state clock it was applied with (the time its IDs and
// deliveries were stamped with).
func (r *Request) Applied() (index uint64, timeMs int64) { return r.w.Index, r.w.TimeMs }

// Wait blocks until the request is done (durable, or failed); then the
// results are readable.
func (r *Request) Wait() { r.w.Wait() }

// prepare returns what the writer applies, with the entry's index and
// stamp when the state machine gave them.
func (r *Request) prepare() *wal.Request {
	r.w.Index, r.w.StampMs = r.index, r.stampMs
	return r.w
}
