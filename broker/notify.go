package broker

import (
	"github.com/rewind-mq/rewind/delivery"
)

// Live-only notifications (the RESP front's keyspace notifications): a
// Notifier sees every durable command tagged TagNotify, on the fan-out
// goroutine, in commit order, and may answer with messages that go to the
// live channel and pattern subscribers of their channels at once. They are
// appended to no log and fsync'd nowhere, so a subscriber that is away
// misses them, as in Redis; a resumable subscriber receives them while
// connected, but its cursors do not move for them and a resume does not
// send them again. A command's notices are delivered after the messages
// it appended, and before anything committed after it.

// Notifier turns one durable command, of kind on channel with result r,
// into notices (none, usually). r is valid during the call only, and its
// Claimed entries are not set. It runs on the fan-out goroutine and must
// not block.
type Notifier func(kind OpKind, channel []byte, r *Result, n *Notices)

// Notices collects the messages a Notifier emits for one command. Its
// memory is reused from command to command.
type Notices struct {
	buf  []byte // channel and message bytes, back to back
	ends []int  // per notice: end of its channel, end of its message
}

// Add queues message for the live subscribers of the channel that is the
// concatenation of prefix and name. The bytes are copied.
func (n *Notices) Add(prefix string, name []byte, message []byte) {
	n.buf = append(n.buf, prefix...)
	n.buf = append(n.buf, name...)
	n.ends = append(n.ends, len(n.buf))
	n.buf = append(n.buf, message...)
	n.ends = append(n.ends, len(n.buf))
}

// Len returns how many notices were added since the last reset.
func (n *Notices) Len() int { return len(n.ends) / 2 }

// notice returns the channel and message of notice i.
func (n *Notices) notice(i int) (channel, message []byte) {
	start := 0
	if i > 0 {
		start = n.ends[2*i-1]
	}
	mid, end := n.ends[2*i], n.ends[2*i+1]
	return n.buf[start:mid], n.buf[mid:end]
}

func (n *Notices) reset() {
	n.buf, n.ends = n.buf[:0], n.ends[:0]
}

// SetNotifier installs fn, which sees every durable command tagged
// TagNotify from the next batch on; nil removes it. Without a notifier
// fan-out costs one atomic load per batch more than before. keyPrefixes
// are the prefixes fn puts before a command's channel to name the channel
// of a notice: Submit works out which patterns match those channels, so
// that fan-out need not (other notice channels are matched by fan-out the
// first time only).
func (b *Broker) SetNotifier(fn Notifier, keyPrefixes ...string) {
	if fn == nil {
		b.notifier.Store(nil)
		b.notifyKeyPrefixes.Store(nil)
		return
	}
	b.notifyKeyPrefixes.Store(&keyPrefixes)
	b.notifier.Store(&fn)
}

// Notifying reports whether a Notifier is installed.
func (b *Broker) Notifying() bool { return b.notifier.Load() != nil }

// notify runs fn on a command and its result and delivers its notices,
// after the run of messages collected so far.
func (b *Broker) notify(fn Notifier, c *Command, res *Result) {
	fn(c.Kind, c.Channel, res, &b.notices)
	if b.notices.Len() == 0 {
		return
	}
	b.publishRun()
	for i := 0; i < b.notices.Len(); i++ {
		channel, message := b.notices.notice(i)
		b.liveFields[0], b.liveFields[1] = MessageField, message
		b.liveRun.Reset()
		b.liveRun.Live = true
		b.liveRun.Add([2]uint64{}, b.liveFields[:])
		b.index.Publish(delivery.KindChannel, channel, &b.liveRun, &b.flusher)
	}
	b.liveRun.Reset()
	b.notices.reset()
}
