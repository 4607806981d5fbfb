package wal

import (
	"encoding/binary"
	"fmt"
)

// Broker-side redelivery (what Redis leaves to clients). A group with an
// ack wait hands a pending entry that was not acknowledged in time to the
// next XREADGROUP ">" reader, before new entries; after MaxDeliver
// deliveries the entry is moved to the dead-letter channel (when one is set)
// and acknowledged, by the broker itself. A group without an ack wait
// behaves exactly as in Redis.

// exhausted reports whether e used up its group's MAXDELIVER. Such an entry
// is delivered to nobody again, by no command (history reads, XCLAIM,
// XAUTOCLAIM, XREADGROUP CLAIM, redelivery): it stays pending, where it can
// still be acked, until its last ack wait runs out and the broker moves it
// to the dead-letter channel. A delivery would also restart the ack wait
// and so put off the dead-lettering.
func (g *group) exhausted(e *pendingEntry) bool {
	return g.cfg.Exhausted(g.count(e))
}

// The group config's encoding: ack wait, max deliver, the backoff steps
// (count, then each), the dead-letter channel (length, bytes), then the
// fields added later, each a varint, written only up to the last one that
// is not zero. A record written before a field existed ends before it and
// decodes as "not set": MaxPending (after the dead-letter channel).
func encodeGroupConfig(dst []byte, c *GroupConfig) []byte {
	dst = binary.AppendVarint(dst, c.AckWaitMs)
	dst = binary.AppendVarint(dst, c.MaxDeliver)
	dst = binary.AppendUvarint(dst, uint64(len(c.BackoffMs)))
	for _, b := range c.BackoffMs {
		dst = binary.AppendVarint(dst, b)
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.DeadLetter)))
	dst = append(dst, c.DeadLetter...)
	if c.MaxPending != 0 {
		dst = binary.AppendVarint(dst, c.MaxPending)
	}
	return dst
}

func decodeGroupConfig(b []byte) (GroupConfig, error) {
	var c GroupConfig
	bad := fmt.Errorf("%w: group config", ErrCorrupt)
	var n int
	if c.AckWaitMs, n = binary.Varint(b); n <= 0 {
		return c, bad
	}
	b = b[n:]
	if c.MaxDeliver, n = binary.Varint(b); n <= 0 {
		return c, bad
	}
	b = b[n:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return c, bad
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		v, n := binary.Varint(b)
		if n <= 0 {
			return c, bad
		}
		c.BackoffMs, b = append(c.BackoffMs, v), b[n:]
	}
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return c, bad
	}
	c.DeadLetter, b = string(b[n:n+int(l)]), b[n+int(l):]
	if len(b) == 0 {
		return c, nil // written before MaxPending existed, or with none
	}
	if c.MaxPending, n = binary.Varint(b); n <= 0 || n != len(b) {
		return c, bad
	}
	return c, nil
}
