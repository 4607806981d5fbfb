// Package command holds the commands of rewind's state machine and their
// results: the inputs of one state change and nothing else (Command), and
// its outcome as plain values (Result). A front builds commands, broker
// encodes them (the codec a Raft entry and the native protocol carry), and
// the apply step reads them and writes their results, all the same values:
// nothing converts a command or a result on its way down or up. Like
// internal/stream it is a leaf: it imports nothing of rewind's but
// internal/stream, and every package may use it (broker and wal name its
// types through aliases).
package command

import (
	"fmt"

	"github.com/rewind-mq/rewind/internal/stream"
)

// ID and IDSpec are the stream's (internal/stream).
type (
	ID     = stream.ID
	IDSpec = stream.IDSpec
)

// Command is one state change: a kind and the inputs that kind reads.
// Fields a kind does not read stay zero.
type Command struct {
	Kind     OpKind
	Channel  []byte
	Spec     IDSpec
	Fields   [][]byte // field, value, field, value, ...
	NoCreate bool     // OpAppend (NOMKSTREAM): skip if the channel does not exist
	Trim     Trim
	// IDs are the entries OpDelete, OpAck, OpClaim, OpAckDel and OpDeleteEx
	// act on. A claim writes its claimed IDs (Result.IDs) over this
	// slice's memory.
	IDs   []ID
	SetID SetID
	// Retention is OpSetRetention's per-channel override.
	Retention Retention

	// Consumer groups.
	Group       []byte
	Consumer    []byte
	Count       int          // OpGroupRead, OpGroupHistory, OpAutoClaim, OpClaimIdle: most entries (0: all)
	NoAck       bool         // OpGroupRead: do not add to the pending list
	MkStream    bool         // OpGroupCreate: create the channel if missing
	AtLastID    bool         // OpGroupCreate, OpGroupSetID: "$", the channel's last ID
	EntriesRead int64        // OpGroupCreate, OpGroupSetID: EntriesReadUnknown when not given
	Config      *GroupConfig // OpGroupCreate, OpGroupConfig: redelivery policy (nil: none)
	MaxPending  int64        // OpGroupRead, OpClaimIdle: the server's default pending limit (the broker fills it)
	Claim       *ClaimInput  // OpClaim, OpAutoClaim, OpClaimIdle
	Ref         RefPolicy    // OpAckDel, OpDeleteEx, OpTrimRef

	Cursors    []Cursor   // OpSetCursors
	NodeLimits NodeLimits // OpSetNodeLimits

	// WantEntries asks the writer to copy the entries a group read
	// delivers into Result.Entries, for the reply: it shapes the result,
	// not the state.
	WantEntries bool
	// Tag says which subscribers an append goes to (TagPublish, ...):
	// every replica fans out what it applies.
	Tag uint8
}

// OpKind is what a Command does. The values are part of the command
// encoding: never renumber one.
type OpKind uint8

const (
	OpAppend       OpKind = iota + 1 // XADD, PUBLISH: Spec, Fields, NoCreate, Trim, Ref
	OpDelete                         // XDEL: IDs
	OpTrim                           // XTRIM: Trim
	OpDrop                           // DEL: the whole channel
	OpSetID                          // XSETID: SetID
	OpSetRetention                   // per-channel retention override: Retention

	// Consumer groups.
	OpGroupCreate    // XGROUP CREATE: Group, Spec.ID or AtLastID, MkStream, EntriesRead, Config
	OpGroupDestroy   // XGROUP DESTROY: Group
	OpGroupSetID     // XGROUP SETID: Group, Spec.ID or AtLastID, EntriesRead
	OpConsumerCreate // XGROUP CREATECONSUMER: Group, Consumer
	OpConsumerDelete // XGROUP DELCONSUMER: Group, Consumer
	OpGroupRead      // XREADGROUP ... >: Group, Consumer, Count, NoAck, WantEntries
	OpAck            // XACK: Group, IDs
	OpGroupHistory   // XREADGROUP with an ID: Group, Consumer, Spec.ID, Count; Result.IDs
	OpGroupConfig    // XGROUP SETCONFIG: Group, Config
	OpRedeliveryScan // the broker's periodic scan: dead-letters exhausted entries
	OpSetCursors     // subscriber cursors: Cursors
	OpSetNodeLimits  // stream-node-max-entries/bytes: NodeLimits

	// Claims and reference-aware deletes.
	OpClaim     // XCLAIM: Group, Consumer, IDs, Claim; claimed IDs in Result.IDs
	OpAutoClaim // XAUTOCLAIM: Group, Consumer, Count, Claim; Result.IDs, Next, Deleted
	OpClaimIdle // XREADGROUP ... CLAIM: Group, Consumer, Count, NoAck, Claim; Result.Claimed, then as OpGroupRead
	OpAckDel    // XACKDEL: Group, IDs, Ref; Result.Codes
	OpDeleteEx  // XDELEX: IDs, Ref; Result.Codes
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

// Trim removes the oldest entries of a channel.
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

// Retention limits one channel. Zero means "not set here": the server-wide
// default applies. A negative value means "no limit", overriding the
// default.
type Retention struct {
	MaxAgeMs int64
	MaxLen   int64
	MaxBytes int64
	// Interest keeps entries that a consumer group has not acknowledged
	// (or not read yet) past the age and length limits; MaxBytes still
	// bounds the channel. Set per channel only.
	Interest bool
}

// GroupConfig is a consumer group's redelivery policy. The zero value is
// Redis's behaviour: nothing is redelivered by the broker.
type GroupConfig struct {
	AckWaitMs  int64   // redeliver an entry not acked this long after its delivery; 0: never
	BackoffMs  []int64 // wait after the n-th delivery (last value repeats); overrides AckWaitMs
	MaxDeliver int64   // deliveries before an entry is dead-lettered; 0: no limit
	DeadLetter string  // channel that receives dead-lettered entries; "": just acknowledge them
	// MaxPending bounds the group's pending entries (XGROUP SETCONFIG
	// MAXPENDING); 0: the server's default, which each read carries.
	MaxPending int64
}

// EntriesReadUnknown is an EntriesRead that was not given (and a group's
// entries-read counter that is not known).
const EntriesReadUnknown = -1

// RefPolicy says what deleting or trimming an entry does to the references
// the consumer groups hold to it (Redis 8.2). The zero value is KEEPREF.
type RefPolicy uint8

const (
	RefKeep   RefPolicy = iota // KEEPREF: pending entries lists keep their references
	RefDelete                  // DELREF: every group's reference to a deleted entry is removed
	RefAcked                   // ACKED: only entries every group has read and acknowledged are deleted
)

// DeliveryKind selects the delivery time XCLAIM gives the entries it
// claims.
type DeliveryKind uint8

const (
	DeliveryNow  DeliveryKind = iota // the batch's time
	DeliveryIdle                     // IDLE ms: the batch's time minus DeliveryMs
	DeliveryTime                     // TIME ms: DeliveryMs, a unix time in ms
)

// ClaimInput is what an XCLAIM, XAUTOCLAIM or XREADGROUP ... CLAIM asks.
// Command.Count is XAUTOCLAIM's COUNT and the most entries OpClaimIdle
// claims (0: no limit).
type ClaimInput struct {
	MinIdleMs int64 // claim only entries delivered at least this long ago (0: any)

	// OpClaim (XCLAIM); its IDs are Command.IDs.
	Delivery   DeliveryKind
	DeliveryMs int64 // the value of IDLE or TIME
	RetryCount int64 // RETRYCOUNT; negative: not given
	Force      bool  // FORCE: create pending entries for IDs that exist but are not pending
	JustID     bool  // JUSTID: the delivery count stays as it is
	LastID     ID    // LASTID: moves the group's cursor forward to it

	// OpAutoClaim (XAUTOCLAIM).
	Start ID // scan the pending entries list from here

	// OpClaimIdle: after claiming, deliver new entries as OpGroupRead
	// does, up to what is left of Command.Count (Command.NoAck applies to
	// them only), in the same command (XREADGROUP ... CLAIM min-idle-time >).
	ThenRead bool
}

// Cursor is one resumable subscriber's cursor on a channel, as
// OpSetCursors writes it.
type Cursor struct {
	Name    []byte
	Channel []byte
	ID      ID    // last entry written to the client
	SeenMs  int64 // when the client was last connected
	// Incarnation is the channel incarnation (Meta.Incarnation) ID belongs
	// to; 0: not known.
	Incarnation uint64
	Delete      bool // remove it
	// OnPattern: the cursor of the pattern subscription Pattern on
	// Channel, or with Base the pattern subscription's own record.
	OnPattern bool
	Base      bool
	Pattern   []byte
}

// NodeLimits are Redis's stream-node-max-entries and stream-node-max-bytes:
// where stream nodes end, which decides what a "~" trim removes. In
// OpSetNodeLimits a negative value leaves that limit unchanged.
type NodeLimits struct {
	MaxEntries int64 // 0: no limit on entries
	MaxBytes   int64 // 0: Redis's listpack maximum (1 GiB)
}

// Batch is a sequence of commands applied together at one time: TimeMs is
// stamped by the writer that seals it (a cluster's leader), the only clock
// the apply step reads.
type Batch struct {
	TimeMs   int64
	Commands []Command
}

// Effective returns the limits that apply to a channel whose own overrides
// are r, given the server-wide defaults d: a channel's value wins when set,
// a negative value means no limit (0 in the result).
func (r Retention) Effective(d Retention) Retention {
	pick := func(own, def int64) int64 {
		if own != 0 {
			return max(own, 0)
		}
		return max(def, 0)
	}
	return Retention{
		MaxAgeMs: pick(r.MaxAgeMs, d.MaxAgeMs),
		MaxLen:   pick(r.MaxLen, d.MaxLen),
		MaxBytes: pick(r.MaxBytes, d.MaxBytes),
		Interest: r.Interest,
	}
}

// Enabled reports whether the broker redelivers for this group.
func (c *GroupConfig) Enabled() bool { return c.AckWaitMs > 0 || len(c.BackoffMs) > 0 }

// WaitMs is how long after its count-th delivery an entry is due again.
func (c *GroupConfig) WaitMs(count int64) int64 {
	if n := len(c.BackoffMs); n > 0 {
		i := min(max(count-1, 0), int64(n-1))
		return c.BackoffMs[i]
	}
	return c.AckWaitMs
}

// Exhausted reports whether an entry delivered count times may not be
// delivered again.
func (c *GroupConfig) Exhausted(count int64) bool {
	return c.MaxDeliver > 0 && count >= c.MaxDeliver
}

// String names a reference policy as Redis spells it.
func (r RefPolicy) String() string {
	switch r {
	case RefKeep:
		return "KEEPREF"
	case RefDelete:
		return "DELREF"
	case RefAcked:
		return "ACKED"
	}
	return fmt.Sprintf("RefPolicy(%d)", uint8(r))
}

// Validate reports limits that cannot be (negative ones mean "unchanged"
// in OpSetNodeLimits only).
func (n NodeLimits) Validate() error {
	if n.MaxEntries < 0 || n.MaxBytes < 0 {
		return errNegativeNodeLimits
	}
	return nil
}

var errNegativeNodeLimits = fmt.Errorf("stream node limits must not be negative")
