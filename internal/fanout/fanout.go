// Package fanout holds what fan-out and a subscriber share: the Subscriber
// interface a front implements, the runs of messages it is handed, and the
// namespaces of subscriptions. delivery's subscription index calls it and
// broker's fronts implement it, both through aliases, so a subscriber is
// stored as the front made it and a message costs no conversion. It is a
// leaf: it imports nothing of rewind's, and every package may use it.
package fanout

// Subscriber receives messages. Deliver and Flush are called from the
// fan-out goroutine and must not block: a subscriber buffers (boundedly) or
// drops itself.
type Subscriber interface {
	// Deliver hands over one message. pattern is nil for a channel
	// subscription. kind says which subscription matched. The slices are
	// valid only during the call. It reports whether the subscriber wants
	// Flush once the batch being delivered is over, so that a batch of
	// messages costs it one write, not one per message.
	Deliver(kind Kind, pattern, channel []byte, run *Run) (flush bool)
	// Flush starts sending what Deliver buffered.
	Flush()
}

// Message is what a subscriber receives: the entry's ID and fields.
type Message struct {
	ID     [2]uint64 // ms, seq
	Fields [][]byte
}

// Run is a sequence of messages published to one channel one after the
// other in a batch, which fan-out hands to each subscriber at once. It
// carries a small cache in which a front can keep an encoding of the whole
// run that is the same for many subscribers, so fan-out encodes it once.
type Run struct {
	Msgs []Message
	// Incarnation is the channel's incarnation the messages belong to: a
	// channel deleted and created again is a new one, whose IDs start
	// afresh (a resumable subscriber's cursor compares IDs within one).
	Incarnation uint64
	// Live: the messages are in no log (keyspace notifications). They
	// have no IDs, so a resumable subscriber's cursors do not move for
	// them and a resume does not send them again.
	Live bool

	cache    [4][]byte
	cacheBuf []byte
}

// Reset empties r, keeping its memory.
func (r *Run) Reset() {
	for i := range r.Msgs {
		r.Msgs[i].Fields = nil
	}
	r.Msgs = r.Msgs[:0]
	r.Live = false
	r.cache = [4][]byte{}
	r.cacheBuf = r.cacheBuf[:0]
}

// Add appends a message; fields must stay valid until Reset.
func (r *Run) Add(id [2]uint64, fields [][]byte) {
	if len(r.Msgs) < cap(r.Msgs) {
		r.Msgs = r.Msgs[:len(r.Msgs)+1]
	} else {
		r.Msgs = append(r.Msgs, Message{})
	}
	r.Msgs[len(r.Msgs)-1] = Message{ID: id, Fields: fields}
}

// Cached returns the run's encoding stored in slot (0..3), or nil.
func (r *Run) Cached(slot int) []byte { return r.cache[slot] }

// SetCached stores an encoding of the whole run in slot, copying enc.
func (r *Run) SetCached(slot int, enc []byte) {
	start := len(r.cacheBuf)
	r.cacheBuf = append(r.cacheBuf, enc...)
	r.cache[slot] = r.cacheBuf[start:len(r.cacheBuf):len(r.cacheBuf)]
}

// Kind is the namespace of a subscription, as in Redis: SUBSCRIBE and
// PSUBSCRIBE receive PUBLISH (and XADD); SSUBSCRIBE receives SPUBLISH.
type Kind uint8

// The namespaces.
const (
	KindChannel Kind = iota + 1
	KindPattern
	KindShard
)
