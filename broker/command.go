package broker

// Commands. Every state change of a node is a Command: the inputs of one
// write and nothing else — no results, no pointers into a connection, no
// clock (the writer that seals a batch stamps its time once, in the
// Batch). A Command has a versioned binary encoding (command_codec.go):
// what a Raft entry will carry between replicas, and what the native
// protocol will send. Applying the same commands to the same state gives
// the same state on every node. Fronts group commands in a Request
// (request.go) and read each one's outcome as a Result.
//
// The types are internal/command's, named here so that fronts need no
// other package: the writer applies the very commands a front built and
// writes their results where the front reads them, with no conversion.

import (
	"github.com/rewind-mq/rewind/internal/command"
	"github.com/rewind-mq/rewind/wal"
)

type (
	Command      = command.Command
	OpKind       = command.OpKind
	TrimStrategy = command.TrimStrategy
	Trim         = command.Trim
	SetID        = command.SetID
	Retention    = command.Retention
	GroupConfig  = command.GroupConfig
	RefPolicy    = command.RefPolicy
	DeliveryKind = command.DeliveryKind
	ClaimInput   = command.ClaimInput
	Cursor       = command.Cursor
	NodeLimits   = command.NodeLimits
	Batch        = command.Batch
	Result       = command.Result
	ClaimedEntry = command.ClaimedEntry
	Delivered    = command.Delivered
	DeadLettered = command.DeadLettered
)

const (
	OpAppend           = command.OpAppend
	OpDelete           = command.OpDelete
	OpTrim             = command.OpTrim
	OpDrop             = command.OpDrop
	OpSetID            = command.OpSetID
	OpSetRetention     = command.OpSetRetention
	OpGroupCreate      = command.OpGroupCreate
	OpGroupDestroy     = command.OpGroupDestroy
	OpGroupSetID       = command.OpGroupSetID
	OpConsumerCreate   = command.OpConsumerCreate
	OpConsumerDelete   = command.OpConsumerDelete
	OpGroupRead        = command.OpGroupRead
	OpAck              = command.OpAck
	OpGroupHistory     = command.OpGroupHistory
	OpGroupConfig      = command.OpGroupConfig
	OpRedeliveryScan   = command.OpRedeliveryScan
	OpSetCursors       = command.OpSetCursors
	OpSetNodeLimits    = command.OpSetNodeLimits
	OpClaim            = command.OpClaim
	OpAutoClaim        = command.OpAutoClaim
	OpClaimIdle        = command.OpClaimIdle
	OpAckDel           = command.OpAckDel
	OpDeleteEx         = command.OpDeleteEx
	OpTrimRef          = command.OpTrimRef
	TrimNone           = command.TrimNone
	TrimMaxLen         = command.TrimMaxLen
	TrimMinID          = command.TrimMinID
	TrimMaxBytes       = command.TrimMaxBytes
	RefKeep            = command.RefKeep
	RefDelete          = command.RefDelete
	RefAcked           = command.RefAcked
	DeliveryNow        = command.DeliveryNow
	DeliveryIdle       = command.DeliveryIdle
	DeliveryTime       = command.DeliveryTime
	CodeNotFound       = command.CodeNotFound
	CodeDeleted        = command.CodeDeleted
	CodeReferenced     = command.CodeReferenced
	EntriesReadUnknown = command.EntriesReadUnknown
)

// EachDelivered calls fn for each entry a group read delivered (a
// Result's Entries), in order, and returns how many it called it for. The
// entry and its fields (decoded into fields, which is reused) are valid
// during the call only.
func EachDelivered(d Delivered, fields [][]byte, fn func(*Entry) error) (int, error) {
	return wal.EachDelivered(d, fields, fn)
}
