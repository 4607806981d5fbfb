package broker

import "github.com/rewind-mq/rewind/wal"

// Consumer groups: types and operations of the storage layer.
type (
	GroupInfo     = wal.GroupInfo
	ConsumerInfo  = wal.ConsumerInfo
	PendingRecord = wal.PendingRecord
	PendingQuery  = wal.PendingQuery
	Delivered     = wal.Delivered
)

const (
	OpGroupCreate      = wal.OpGroupCreate
	OpGroupDestroy     = wal.OpGroupDestroy
	OpGroupSetID       = wal.OpGroupSetID
	OpConsumerCreate   = wal.OpConsumerCreate
	OpConsumerDelete   = wal.OpConsumerDelete
	OpGroupRead        = wal.OpGroupRead
	OpAck              = wal.OpAck
	OpGroupHistory     = wal.OpGroupHistory
	EntriesReadUnknown = wal.EntriesReadUnknown
)

var (
	ErrNoGroup     = wal.ErrNoGroup
	ErrGroupExists = wal.ErrGroupExists
	ErrNoStream    = wal.ErrNoStream
)

// Claims and reference-aware deletes (wal/group_claim.go).
type (
	ClaimArgs    = wal.ClaimArgs
	ClaimedEntry = wal.ClaimedEntry
	RefPolicy    = wal.RefPolicy
)

const (
	OpClaim     = wal.OpClaim
	OpAutoClaim = wal.OpAutoClaim
	OpClaimIdle = wal.OpClaimIdle
	OpAckDel    = wal.OpAckDel
	OpDeleteEx  = wal.OpDeleteEx
	OpTrimRef   = wal.OpTrimRef

	RefKeep   = wal.RefKeep
	RefDelete = wal.RefDelete
	RefAcked  = wal.RefAcked

	DeliveryNow  = wal.DeliveryNow
	DeliveryIdle = wal.DeliveryIdle
	DeliveryTime = wal.DeliveryTime

	CodeDeleted = wal.CodeDeleted // Proposal.Codes: the entry was deleted
)

// Groups returns a channel's consumer groups (durable state), sorted by
// name, and whether the channel exists.
func (b *Broker) Groups(channel []byte) ([]*GroupInfo, bool) { return b.log.Groups(channel) }

// Group returns one consumer group's durable state.
func (b *Broker) Group(channel, group []byte) (*GroupInfo, bool) { return b.log.Group(channel, group) }

// Pending reads a group's durable pending entries list.
func (b *Broker) Pending(channel []byte, g *GroupInfo, q PendingQuery, fn func(PendingRecord, string) error) error {
	return b.log.Pending(channel, g, q, fn)
}
