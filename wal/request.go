package wal

// OpKind is what a Proposal does.
type OpKind uint8

const (
	OpAppend       OpKind = iota + 1 // XADD / PUBLISH: Spec, Fields, NoCreate, Trim
	OpDelete                         // XDEL: IDs
	OpTrim                           // XTRIM: Trim
	OpDrop                           // DEL: the whole channel
	OpSetID                          // XSETID: SetID
	OpSetRetention                   // per-channel retention override: Retention

	// Consumer groups (see group.go).
	OpGroupCreate    // XGROUP CREATE: Group, Spec.ID or LastID, NoCreate=false means MKSTREAM, EntriesRead
	OpGroupDestroy   // XGROUP DESTROY: Group
	OpGroupSetID     // XGROUP SETID: Group, Spec.ID or LastID, EntriesRead
	OpConsumerCreate // XGROUP CREATECONSUMER: Group, Consumer
	OpConsumerDelete // XGROUP DELCONSUMER: Group, Consumer
	OpGroupRead      // XREADGROUP ... >: Group, Consumer, Count, NoAck
	OpAck            // XACK: Group, IDs
	OpGroupHistory   // XREADGROUP with an ID: Group, Consumer, Spec.ID, Count; result IDs in IDs
	OpGroupConfig    // XGROUP SETCONFIG: Group, Config
	OpRedeliveryScan // the broker's periodic scan: dead-letters exhausted entries; Scan results
	OpSetCursors     // subscriber cursors: Cursors (see cursor.go)
	OpSetNodeLimits  // stream-node-max-entries/bytes: NodeLimits (see nodes.go)

	// Claims and reference-aware deletes (see group_claim.go).
	OpClaim     // XCLAIM: Group, Consumer, IDs, Claim; claimed IDs in IDs
	OpAutoClaim // XAUTOCLAIM: Group, Consumer, Count, Claim; claimed IDs in IDs, Claim.Next, Claim.Deleted
	OpClaimIdle // XREADGROUP ... CLAIM: Group, Consumer, Count, NoAck, Claim; Claim.Claimed, then as OpGroupRead
	OpAckDel    // XACKDEL: Group, IDs, Ref; Codes
	OpDeleteEx  // XDELEX: IDs, Ref; Codes
	OpTrimRef   // XTRIM with KEEPREF, DELREF or ACKED: Trim, Ref
)

// TrimStrategy selects how a Trim bounds a channel.
type TrimStrategy uint8

const (
	TrimNone TrimStrategy = iota
	TrimMaxLen
	TrimMinID
	TrimMaxBytes
)

// Trim removes the oldest entries of a channel, as a range deletion.
type Trim struct {
	Strategy TrimStrategy
	Approx   bool   // "~": trim only when it pays off; never below the bound
	MaxLen   uint64 // TrimMaxLen
	MinID    ID     // TrimMinID: remove entries with ID < MinID
	MaxBytes uint64 // TrimMaxBytes
	Limit    int64  // most entries removed by this trim; 0 = no limit
	Interest bool   // keep entries a consumer group still needs (retention)
}

// SetID is the argument of XSETID.
type SetID struct {
	LastID          ID
	EntriesAdded    uint64
	HasEntriesAdded bool
	MaxDeletedID    ID
	HasMaxDeleted   bool
}

// Proposal is one write. The caller fills the inputs; results are valid once
// its Request is done. Slices are borrowed, not copied: they must stay
// unchanged until the Request is done.
type Proposal struct {
	Op        OpKind
	Channel   []byte
	Spec      IDSpec
	Fields    [][]byte // field, value, field, value, ...
	NoCreate  bool     // NOMKSTREAM: skip if the channel does not exist
	Trim      Trim
	IDs       []ID
	SetID     SetID
	Retention Retention
	// Consumer groups.
	Group       []byte
	Consumer    []byte
	Count       int          // OpGroupRead: most entries to deliver (0: all)
	NoAck       bool         // OpGroupRead: do not add to the pending list
	MkStream    bool         // OpGroupCreate: create the channel if missing
	AtLastID    bool         // OpGroupCreate/SetID: "$", the channel's last ID
	EntriesRead int64        // OpGroupCreate/SetID: -1 when not given
	Config      *GroupConfig // OpGroupCreate, OpGroupConfig: redelivery policy (nil: none)
	Scan        *ScanResult  // OpRedeliveryScan: filled by the apply step
	Cursors     []Cursor     // OpSetCursors
	NodeLimits  NodeLimits   // OpSetNodeLimits
	// MaxPending (OpGroupRead, OpClaimIdle's read): the server's limit on
	// a group's pending entries, for groups whose Config.MaxPending is 0
	// (0: none). An input, so that every replica applies the same limit.
	MaxPending int64

	// WantEntries (OpGroupRead, and OpClaimIdle's read): the new entries
	// delivered are appended to Entries as the writer reads them, so the
	// reply needs no second read of the log. The caller may set Entries to
	// a buffer to reuse.
	WantEntries bool
	Entries     Delivered

	// Tag is not read by wal; it travels with the proposal to whoever
	// consumes the Commit (the broker's fan-out uses it).
	Tag uint8

	// Results.
	ID ID // the ID assigned by OpAppend; OpGroupRead: first delivered
	// Incarnation is OpAppend's channel incarnation (Meta.Incarnation):
	// IDs increase within one incarnation only.
	Incarnation uint64
	LastID      ID    // OpGroupRead: last delivered (deliveries are contiguous in the log)
	N           int64 // entries deleted or trimmed; 1 if OpDrop removed a channel
	Skipped     bool  // NoCreate and the channel did not exist
	Err         error
	Receivers   int // set by whoever consumes Commit (fan-out count)
	// Created: OpAppend or OpGroupCreate (MKSTREAM) created the channel.
	Created bool
	// ConsumerCreated: the group read, claim or OpConsumerCreate created
	// the consumer; ConsumerDeleted: OpConsumerDelete deleted one.
	ConsumerCreated bool
	ConsumerDeleted bool
	// HeldBack: OpGroupRead (or OpClaimIdle's read) left new entries
	// undelivered because the group's pending entries reached its limit.
	HeldBack bool

	// Claims and reference-aware deletes (see group_claim.go).
	Claim *ClaimArgs // OpClaim, OpAutoClaim, OpClaimIdle: options and results
	Ref   RefPolicy  // OpAckDel, OpDeleteEx, OpTrimRef: what happens to the groups' references
	Codes []int8     // OpAckDel, OpDeleteEx results: per ID, -1 not found, 1 deleted, 2 still referenced
}

// Request is a group of proposals applied in one atomic batch, in order. It
// is reusable: Reset it once Wait returned.
//
// A request is one entry of the state machine's input: it is applied at an
// index (Index), at a time (StampMs). A node that decides alone leaves both
// zero and the writer assigns them: the next index, and its clock as it
// applies the request (not as it was submitted: a wait in the queue must
// not date a delivery, and with it its ack wait, in the past). A replica
// applying what a leader decided sets both to the leader's. A request at or
// below the stored applied index changes nothing (ErrApplied).
type Request struct {
	Proposals []Proposal
	Index     uint64 // the applied index; 0: the next one
	StampMs   int64  // the time stamped on the request; 0: the writer's clock
	// TimeMs is the state clock the request was applied at: the greatest
	// stamp applied so far, so that time never moves backwards in the
	// state, whoever stamped. It is the only time the apply step reads.
	TimeMs int64
	done   chan struct{}
	// run, when set, is run by the writer with nothing in flight instead
	// of applying proposals (exclusive, reload.go); runErr is its error.
	run    func() error
	runErr error
}

// NewRequest returns an empty reusable request.
func NewRequest() *Request { return &Request{done: make(chan struct{}, 1)} }

// Add appends a zeroed proposal and returns it. The pointer is valid until
// the next Add (which may move Proposals); read results through Proposals.
func (r *Request) Add() *Proposal {
	r.Proposals = append(r.Proposals, Proposal{})
	return &r.Proposals[len(r.Proposals)-1]
}

// Reset clears the request for reuse, keeping its memory.
func (r *Request) Reset() {
	clear(r.Proposals)
	r.Proposals = r.Proposals[:0]
	r.Index, r.StampMs, r.TimeMs = 0, 0, 0
}

// Wait blocks until the request is done (durable, or failed).
func (r *Request) Wait() { <-r.done }

func (r *Request) finish() { r.done <- struct{}{} }

func (r *Request) failAll(err error) {
	for i := range r.Proposals {
		if r.Proposals[i].Err == nil {
			r.Proposals[i].Err = err
		}
	}
}
