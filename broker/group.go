package broker

import "github.com/rewind-mq/rewind/wal"

// Consumer groups: read-side types of the storage layer.
type (
	GroupInfo     = wal.GroupInfo
	ConsumerInfo  = wal.ConsumerInfo
	PendingRecord = wal.PendingRecord
	PendingQuery  = wal.PendingQuery
)

var (
	ErrNoGroup     = wal.ErrNoGroup
	ErrGroupExists = wal.ErrGroupExists
	ErrNoStream    = wal.ErrNoStream
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
