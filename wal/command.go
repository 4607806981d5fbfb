package wal

// The commands wal applies and the results it writes are
// internal/command's (its Command and Result), named here for the apply
// code: a Request holds the commands and their results side by side.

import "github.com/rewind-mq/rewind/internal/command"

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
