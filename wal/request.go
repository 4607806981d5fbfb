package wal

// Request is a group of commands applied in one atomic batch, in order,
// each writing its outcome to the Result at the same position. It is
// reusable: Reset it once Wait returned.
//
// A request is one entry of the state machine's input: it is applied at an
// index (Index), at a time (StampMs). A node that decides alone leaves both
// zero and the writer assigns them: the next index, and its clock as it
// applies the request (not as it was submitted: a wait in the queue must
// not date a delivery, and with it its ack wait, in the past). A replica
// applying what a leader decided sets both to the leader's. A request at or
// below the stored applied index changes nothing (ErrApplied).
type Request struct {
	Commands []Command
	// Results[i] is the outcome of Commands[i]: valid once the request is
	// done. Before Submit only its Entries buffer may be set (a group
	// read appends the entries it delivers to it); the rest is zero.
	Results []Result
	Index   uint64 // the applied index; 0: the next one
	StampMs int64  // the time stamped on the request; 0: the writer's clock
	// TimeMs is the state clock the request was applied at: the greatest
	// stamp applied so far, so that time never moves backwards in the
	// state, whoever stamped. It is the only time the apply step reads.
	TimeMs int64
	done   chan struct{}
	// run, when set, is run by the writer with nothing in flight instead
	// of applying commands (exclusive, reload.go); runErr is its error.
	run    func() error
	runErr error
}

// NewRequest returns an empty reusable request.
func NewRequest() *Request { return &Request{done: make(chan struct{}, 1)} }

// Add appends a zeroed command, with a zeroed result, and returns it. The
// pointer is valid until the next Add (which may move Commands).
func (r *Request) Add() *Command {
	n := len(r.Commands)
	if n < cap(r.Commands) && n < cap(r.Results) {
		// Past their length, both hold zeros (Reset clears what it drops).
		r.Commands, r.Results = r.Commands[:n+1], r.Results[:n+1]
	} else {
		r.Commands = append(r.Commands, Command{})
		r.Results = append(r.Results, Result{})
	}
	return &r.Commands[n]
}

// Reset clears the request for reuse, keeping its memory.
func (r *Request) Reset() {
	clear(r.Commands)
	clear(r.Results)
	r.Commands, r.Results = r.Commands[:0], r.Results[:0]
	r.Index, r.StampMs, r.TimeMs = 0, 0, 0
}

// Wait blocks until the request is done (durable, or failed).
func (r *Request) Wait() { <-r.done }

func (r *Request) finish() { r.done <- struct{}{} }

func (r *Request) failAll(err error) {
	for i := range r.Results {
		if r.Results[i].Err == nil {
			r.Results[i].Err = err
		}
	}
}

// op is one command being applied and the result it writes: the apply
// code reads the command's inputs and sets the result's fields through it
// (IDs, in both, is named with its side: p.Command.IDs, p.Result.IDs).
type op struct {
	*Command
	*Result
}

// op returns the i-th command with its result.
func (r *Request) op(i int) op { return op{&r.Commands[i], &r.Results[i]} }
