package broker

import (
	"github.com/rewind-mq/rewind/wal"
)

// Commands. Every state change of a node is a Command: the inputs of one
// write and nothing else — no results, no pointers into a connection, no
// clock (the writer that seals a batch stamps its time once, in the
// Batch). A Command has a versioned binary encoding (command_codec.go):
// what a Raft entry will carry between replicas, and what the native
// protocol will send. Applying the same commands to the same state gives
// the same state on every node.
//
// This is the first step of the redesign into one state machine (issue
// 12): today the writer still applies wal.Proposals, and a Command converts
// to and from one (Proposal, CommandOf); TestCommandCoversProposalInputs
// fails when a Proposal input has no place in a Command.

// Command is one state change: a kind (the wal operation it becomes) and
// the inputs that kind reads. Fields a kind does not read stay zero.
type Command struct {
	Kind     OpKind
	Channel  []byte
	Spec     IDSpec
	Fields   [][]byte // field, value, field, value, ...
	NoCreate bool
	Trim     wal.Trim
	IDs      []ID
	SetID    wal.SetID
	// Retention is OpSetRetention's per-channel override.
	Retention wal.Retention

	// Consumer groups.
	Group       []byte
	Consumer    []byte
	Count       int
	NoAck       bool
	MkStream    bool
	AtLastID    bool
	EntriesRead int64
	Config      *wal.GroupConfig // nil: none
	MaxPending  int64            // group reads: the server's default pending limit
	Claim       *ClaimInput      // OpClaim, OpAutoClaim, OpClaimIdle
	Ref         wal.RefPolicy

	Cursors    []wal.Cursor   // OpSetCursors
	NodeLimits wal.NodeLimits // OpSetNodeLimits

	// WantEntries asks the writer to copy the entries a group read
	// delivers, for the reply: it shapes the result, not the state.
	WantEntries bool
	// Tag says which subscribers an append goes to (TagPublish, ...):
	// every replica fans out what it applies.
	Tag uint8
}

// ClaimInput is what an XCLAIM, XAUTOCLAIM or XREADGROUP ... CLAIM asks
// (the inputs of wal.ClaimArgs).
type ClaimInput struct {
	MinIdleMs  int64
	Delivery   wal.DeliveryKind
	DeliveryMs int64
	RetryCount int64
	Force      bool
	JustID     bool
	LastID     ID
	Start      ID
	ThenRead   bool
}

// Batch is a sequence of commands applied together at one time: TimeMs is
// stamped by the writer that seals it (a cluster's leader), the only clock
// the apply step reads.
type Batch struct {
	TimeMs   int64
	Commands []Command
}

// Proposal fills p, which must be zero, with c's inputs. Slices are
// shared, not copied.
func (c *Command) Proposal(p *wal.Proposal) {
	*p = wal.Proposal{
		Op: c.Kind, Channel: c.Channel, Spec: c.Spec, Fields: c.Fields, NoCreate: c.NoCreate,
		Trim: c.Trim, IDs: c.IDs, SetID: c.SetID, Retention: c.Retention,
		Group: c.Group, Consumer: c.Consumer, Count: c.Count, NoAck: c.NoAck, MkStream: c.MkStream,
		AtLastID: c.AtLastID, EntriesRead: c.EntriesRead, Config: c.Config, Ref: c.Ref,
		Cursors: c.Cursors, NodeLimits: c.NodeLimits, WantEntries: c.WantEntries, Tag: c.Tag,
		MaxPending: c.MaxPending,
	}
	if in := c.Claim; in != nil {
		p.Claim = &wal.ClaimArgs{MinIdleMs: in.MinIdleMs, Delivery: in.Delivery, DeliveryMs: in.DeliveryMs,
			RetryCount: in.RetryCount, Force: in.Force, JustID: in.JustID, LastID: in.LastID, Start: in.Start, ThenRead: in.ThenRead}
	}
}

// CommandOf returns the command that p's inputs describe (slices shared).
func CommandOf(p *wal.Proposal) Command {
	c := Command{
		Kind: p.Op, Channel: p.Channel, Spec: p.Spec, Fields: p.Fields, NoCreate: p.NoCreate,
		Trim: p.Trim, IDs: p.IDs, SetID: p.SetID, Retention: p.Retention,
		Group: p.Group, Consumer: p.Consumer, Count: p.Count, NoAck: p.NoAck, MkStream: p.MkStream,
		AtLastID: p.AtLastID, EntriesRead: p.EntriesRead, Config: p.Config, Ref: p.Ref,
		Cursors: p.Cursors, NodeLimits: p.NodeLimits, WantEntries: p.WantEntries, Tag: p.Tag,
		MaxPending: p.MaxPending,
	}
	if a := p.Claim; a != nil {
		c.Claim = &ClaimInput{MinIdleMs: a.MinIdleMs, Delivery: a.Delivery, DeliveryMs: a.DeliveryMs,
			RetryCount: a.RetryCount, Force: a.Force, JustID: a.JustID, LastID: a.LastID, Start: a.Start, ThenRead: a.ThenRead}
	}
	return c
}
