package broker

// The typed builders of a Request: one method per state change, each
// adding one command and returning its index in the request (for
// Result(i) once Wait returned). A front calls these and never fills a
// Command itself. The slices a builder is given are kept, not copied: they
// must not change until Wait returned. Each says what it reads and which
// Result fields its command sets (besides Err, which every one may set).

// add appends a command of kind on channel and returns its index and the
// command, for the builder to fill.
func (r *Request) add(kind OpKind, channel []byte) (int, *Command) {
	i := len(r.w.Commands)
	c := r.Add()
	c.Kind, c.Channel = kind, channel
	return i, c
}

// AppendOptions are XADD's options besides the ID and the fields.
type AppendOptions struct {
	NoCreate bool      // NOMKSTREAM: append nothing if the channel does not exist
	Trim     Trim      // trim the channel after the append (MAXLEN, MINID, ...)
	Ref      RefPolicy // what the trim does to the groups' references (KEEPREF, DELREF, ACKED)
}

// Append adds an XADD: an entry of fields (field, value, ...) under the ID
// spec asks for, then the trim of o. Result: ID and Incarnation of the new
// entry, N the entries trimmed, Created if the channel was created,
// Skipped if NoCreate and it did not exist, Receivers.
func (r *Request) Append(channel []byte, spec IDSpec, fields [][]byte, o AppendOptions) int {
	i, c := r.add(OpAppend, channel)
	c.Spec, c.Fields, c.NoCreate, c.Trim, c.Ref = spec, fields, o.NoCreate, o.Trim, o.Ref
	return i
}

// Publish adds a PUBLISH: payload appended under a new ID as the one field
// "message" (MessageField), for the channel's and the matching patterns'
// subscribers. Result: ID, Incarnation, Receivers, Created.
func (r *Request) Publish(channel, payload []byte) int {
	return r.publish(channel, payload, TagPublish)
}

// ShardPublish adds an SPUBLISH: as Publish, for the channel's shard
// subscribers.
func (r *Request) ShardPublish(channel, payload []byte) int {
	return r.publish(channel, payload, TagSPublish)
}

func (r *Request) publish(channel, payload []byte, tag uint8) int {
	i, c := r.add(OpAppend, channel)
	n := len(r.fields)
	r.fields = append(r.fields, MessageField, payload)
	c.Spec.Auto, c.Fields, c.Tag = true, r.fields[n:n+2:n+2], tag
	return i
}

// Notify marks command i as one the Notifier sees (TagNotify: keyspace
// notifications), and returns i. An append so marked goes to the channel's
// and the patterns' subscribers, as Publish does; do not mark a
// ShardPublish.
func (r *Request) Notify(i int) int {
	r.w.Commands[i].Tag = TagNotify
	return i
}

// Delete adds an XDEL of ids. Result: N, the entries deleted.
func (r *Request) Delete(channel []byte, ids []ID) int {
	i, c := r.add(OpDelete, channel)
	c.IDs = ids
	return i
}

// Trim adds an XTRIM: the channel's oldest entries removed as t says, the
// groups' references to them as ref says. Result: N, the entries removed.
func (r *Request) Trim(channel []byte, t Trim, ref RefPolicy) int {
	i, c := r.add(OpTrimRef, channel)
	c.Trim, c.Ref = t, ref
	return i
}

// Drop adds a DEL of the whole channel, its groups and entries. Result: N,
// 1 if the channel existed.
func (r *Request) Drop(channel []byte) int {
	i, _ := r.add(OpDrop, channel)
	return i
}

// SetID adds an XSETID: the channel's last ID and, if given, its entries
// added and max deleted ID. No result besides Err.
func (r *Request) SetID(channel []byte, s SetID) int {
	i, c := r.add(OpSetID, channel)
	c.SetID = s
	return i
}

// SetRetention adds the channel's retention override (rewind's RETENTION
// SET). No result besides Err.
func (r *Request) SetRetention(channel []byte, ret Retention) int {
	i, c := r.add(OpSetRetention, channel)
	c.Retention = ret
	return i
}

// GroupStart is where XGROUP CREATE and XGROUP SETID put a group's cursor.
type GroupStart struct {
	ID       ID   // the last entry the group has seen
	AtLastID bool // "$": the channel's last ID instead of ID
	// EntriesRead is ENTRIESREAD, when HasEntriesRead; not given, the
	// group's entries-read counter is not known (EntriesReadUnknown).
	EntriesRead    int64
	HasEntriesRead bool
	MkStream       bool         // CreateGroup: create the channel if it does not exist
	Config         *GroupConfig // CreateGroup: the group's redelivery policy (nil: none)
}

// CreateGroup adds an XGROUP CREATE of group at start. Result: Created if
// MkStream created the channel.
func (r *Request) CreateGroup(channel, group []byte, start GroupStart) int {
	i, c := r.addGroupCursor(OpGroupCreate, channel, group, start)
	c.MkStream, c.Config = start.MkStream, start.Config
	return i
}

// SetGroupID adds an XGROUP SETID: the group's cursor moved to start (its
// MkStream and Config are not read). No result besides Err.
func (r *Request) SetGroupID(channel, group []byte, start GroupStart) int {
	i, _ := r.addGroupCursor(OpGroupSetID, channel, group, start)
	return i
}

func (r *Request) addGroupCursor(kind OpKind, channel, group []byte, start GroupStart) (int, *Command) {
	i, c := r.add(kind, channel)
	c.Group, c.Spec.ID, c.AtLastID, c.EntriesRead = group, start.ID, start.AtLastID, EntriesReadUnknown
	if start.HasEntriesRead {
		c.EntriesRead = start.EntriesRead
	}
	return i, c
}

// DestroyGroup adds an XGROUP DESTROY. Result: N, 1 if the group existed.
func (r *Request) DestroyGroup(channel, group []byte) int {
	i, c := r.add(OpGroupDestroy, channel)
	c.Group = group
	return i
}

// CreateConsumer adds an XGROUP CREATECONSUMER. Result: ConsumerCreated
// (and N 1) if the consumer is new.
func (r *Request) CreateConsumer(channel, group, consumer []byte) int {
	return r.addConsumer(OpConsumerCreate, channel, group, consumer)
}

// DeleteConsumer adds an XGROUP DELCONSUMER. Result: ConsumerDeleted if
// the consumer existed, N its pending entries (dropped with it).
func (r *Request) DeleteConsumer(channel, group, consumer []byte) int {
	return r.addConsumer(OpConsumerDelete, channel, group, consumer)
}

func (r *Request) addConsumer(kind OpKind, channel, group, consumer []byte) int {
	i, c := r.add(kind, channel)
	c.Group, c.Consumer = group, consumer
	return i
}

// SetGroupConfig adds an XGROUP SETCONFIG: the group's redelivery policy
// replaced by cfg. No result besides Err.
func (r *Request) SetGroupConfig(channel, group []byte, cfg *GroupConfig) int {
	i, c := r.add(OpGroupConfig, channel)
	c.Group, c.Config = group, cfg
	return i
}

// ReadGroupOptions are XREADGROUP's options for one channel.
type ReadGroupOptions struct {
	Count int  // most entries delivered (0: all)
	NoAck bool // NOACK: new entries are not added to the pending list
	// WantEntries copies the new entries delivered into Result.Entries,
	// appended to Entries (nil: new memory), for the reply.
	WantEntries bool
	Entries     Delivered
}

// ReadGroup adds an XREADGROUP ... >: consumer (created if new) gets the
// entries the group's ack wait redelivers, then new ones. Result: IDs
// (redelivered), ID..LastID and N (new entries), Entries (WantEntries),
// ConsumerCreated, HeldBack (the group holds its limit of pending entries).
func (r *Request) ReadGroup(channel, group, consumer []byte, o ReadGroupOptions) int {
	i, c := r.addRead(OpGroupRead, channel, group, consumer, o)
	c.WantEntries = o.WantEntries
	if o.WantEntries {
		r.w.Results[i].Entries = o.Entries
	}
	return i
}

// ReadHistory adds an XREADGROUP with an ID: the consumer's pending
// entries after after, at most count (0: all). Result: IDs,
// ConsumerCreated.
func (r *Request) ReadHistory(channel, group, consumer []byte, after ID, count int) int {
	i, c := r.addRead(OpGroupHistory, channel, group, consumer, ReadGroupOptions{Count: count})
	c.Spec.ID = after
	return i
}

// ClaimIdle adds an XREADGROUP ... CLAIM min-idle-time >: consumer first
// takes over the pending entries idle at least minIdleMs, idlest first,
// then reads as ReadGroup up to what is left of o.Count (o.NoAck applies
// to the new entries only), in one step. Result: Claimed, then as
// ReadGroup, and WakeMs (when the next pending entry becomes idle enough).
func (r *Request) ClaimIdle(channel, group, consumer []byte, minIdleMs int64, o ReadGroupOptions) int {
	i, c := r.addRead(OpClaimIdle, channel, group, consumer, o)
	c.Claim = &ClaimInput{MinIdleMs: minIdleMs, ThenRead: true}
	c.WantEntries = o.WantEntries
	if o.WantEntries {
		r.w.Results[i].Entries = o.Entries
	}
	return i
}

func (r *Request) addRead(kind OpKind, channel, group, consumer []byte, o ReadGroupOptions) (int, *Command) {
	i, c := r.add(kind, channel)
	c.Group, c.Consumer, c.Count, c.NoAck = group, consumer, o.Count, o.NoAck
	return i, c
}

// Ack adds an XACK of ids. Result: N, the entries acknowledged.
func (r *Request) Ack(channel, group []byte, ids []ID) int {
	i, c := r.add(OpAck, channel)
	c.Group, c.IDs = group, ids
	return i
}

// Claim adds an XCLAIM of ids for consumer, as claim says (its MinIdleMs
// and the XCLAIM options). It writes the claimed IDs over ids' memory.
// Result: IDs (claimed), ConsumerCreated.
func (r *Request) Claim(channel, group, consumer []byte, ids []ID, claim *ClaimInput) int {
	i, c := r.add(OpClaim, channel)
	c.Group, c.Consumer, c.IDs, c.Claim = group, consumer, ids, claim
	return i
}

// AutoClaim adds an XAUTOCLAIM: at most count pending entries idle at
// least claim.MinIdleMs, scanned from claim.Start, taken over by consumer.
// Result: IDs (claimed), Next (where the next call starts; 0-0: done),
// Deleted (pending entries no longer in the channel, dropped),
// ConsumerCreated.
func (r *Request) AutoClaim(channel, group, consumer []byte, count int, claim *ClaimInput) int {
	i, c := r.add(OpAutoClaim, channel)
	c.Group, c.Consumer, c.Count, c.Claim = group, consumer, count, claim
	return i
}

// AckDelete adds an XACKDEL: ids acknowledged in group and deleted from
// the channel as ref says. Result: Codes, one per ID.
func (r *Request) AckDelete(channel, group []byte, ids []ID, ref RefPolicy) int {
	i, c := r.add(OpAckDel, channel)
	c.Group, c.IDs, c.Ref = group, ids, ref
	return i
}

// DeleteRef adds an XDELEX: ids deleted, the groups' references to them as
// ref says. Result: Codes, one per ID.
func (r *Request) DeleteRef(channel []byte, ids []ID, ref RefPolicy) int {
	i, c := r.add(OpDeleteEx, channel)
	c.IDs, c.Ref = ids, ref
	return i
}

// SaveCursors adds a write of resumable subscribers' cursors (each one's
// Delete removes it). No result besides Err.
func (r *Request) SaveCursors(cursors []Cursor) int {
	i, c := r.add(OpSetCursors, nil)
	c.Cursors = cursors
	return i
}

// SetNodeLimits adds a change of the stream node limits (a negative value
// leaves that limit as it is). No result besides Err.
func (r *Request) SetNodeLimits(n NodeLimits) int {
	i, c := r.add(OpSetNodeLimits, nil)
	c.NodeLimits = n
	return i
}

// HasAppend reports whether the request holds an append (Append, Publish,
// ShardPublish): a read that must see the entries it appends waits for it.
func (r *Request) HasAppend() bool {
	for i := range r.w.Commands {
		if r.w.Commands[i].Kind == OpAppend {
			return true
		}
	}
	return false
}
