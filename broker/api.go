package broker

// One-shot writes: each builds a request of one command with the
// Request's builder of the same name (request_build.go), applies it
// (durable when it returns), and returns the result as plain values, its
// error a catalog error (or the storage failure that stopped the write).
// They are for callers that write one thing at a time; a pipeline builds
// one Request of many commands instead (one batch, one fsync). Their
// commands are not marked for the Notifier.

// doOne applies r, a request of one command, and returns its result and
// its error as a catalog entry.
func (b *Broker) doOne(r *Request) (*Result, error) {
	if err := b.Do(r); err != nil {
		return &Result{}, catalogued(err)
	}
	res := r.Result(0)
	return res, catalogued(res.Err)
}

// catalogued returns err's catalog entry when err is the storage layer's
// sentinel of one (so that errors.Is matches both), else err.
func catalogued(err error) error {
	if e, ok := Lookup(err); ok && err == e.cause {
		return e
	}
	return err
}

// Append appends an entry of fields under the ID spec asks for (XADD) and
// returns its ID: the zero ID when o.NoCreate and the channel did not
// exist.
func (b *Broker) Append(channel []byte, spec IDSpec, fields [][]byte, o AppendOptions) (ID, error) {
	r := NewRequest()
	r.Append(channel, spec, fields, o)
	res, err := b.doOne(r)
	return res.ID, err
}

// Publish appends payload to the channel as PUBLISH does and returns its ID
// and how many subscribers it was handed to.
func (b *Broker) Publish(channel, payload []byte) (ID, int, error) {
	r := NewRequest()
	r.Publish(channel, payload)
	res, err := b.doOne(r)
	return res.ID, res.Receivers, err
}

// Delete deletes entries (XDEL) and returns how many existed.
func (b *Broker) Delete(channel []byte, ids []ID) (int64, error) {
	r := NewRequest()
	r.Delete(channel, ids)
	res, err := b.doOne(r)
	return res.N, err
}

// Trim trims the channel (XTRIM) and returns how many entries it removed.
func (b *Broker) Trim(channel []byte, t Trim, ref RefPolicy) (int64, error) {
	r := NewRequest()
	r.Trim(channel, t, ref)
	res, err := b.doOne(r)
	return res.N, err
}

// Drop deletes the channel (DEL) and reports whether it existed.
func (b *Broker) Drop(channel []byte) (bool, error) {
	r := NewRequest()
	r.Drop(channel)
	res, err := b.doOne(r)
	return res.N > 0, err
}

// SetID sets the channel's last ID and counters (XSETID).
func (b *Broker) SetID(channel []byte, s SetID) error {
	r := NewRequest()
	r.SetID(channel, s)
	_, err := b.doOne(r)
	return err
}

// SetRetention sets the channel's retention override.
func (b *Broker) SetRetention(channel []byte, ret Retention) error {
	r := NewRequest()
	r.SetRetention(channel, ret)
	_, err := b.doOne(r)
	return err
}

// CreateGroup creates a consumer group at start (XGROUP CREATE).
func (b *Broker) CreateGroup(channel, group []byte, start GroupStart) error {
	r := NewRequest()
	r.CreateGroup(channel, group, start)
	_, err := b.doOne(r)
	return err
}

// SetGroupID moves a group's cursor to start (XGROUP SETID).
func (b *Broker) SetGroupID(channel, group []byte, start GroupStart) error {
	r := NewRequest()
	r.SetGroupID(channel, group, start)
	_, err := b.doOne(r)
	return err
}

// DestroyGroup deletes a group (XGROUP DESTROY) and reports whether it
// existed.
func (b *Broker) DestroyGroup(channel, group []byte) (bool, error) {
	r := NewRequest()
	r.DestroyGroup(channel, group)
	res, err := b.doOne(r)
	return res.N > 0, err
}

// CreateConsumer creates a consumer (XGROUP CREATECONSUMER) and reports
// whether it is new.
func (b *Broker) CreateConsumer(channel, group, consumer []byte) (bool, error) {
	r := NewRequest()
	r.CreateConsumer(channel, group, consumer)
	res, err := b.doOne(r)
	return res.ConsumerCreated, err
}

// DeleteConsumer deletes a consumer (XGROUP DELCONSUMER) and returns how
// many entries it had pending.
func (b *Broker) DeleteConsumer(channel, group, consumer []byte) (int64, error) {
	r := NewRequest()
	r.DeleteConsumer(channel, group, consumer)
	res, err := b.doOne(r)
	return res.N, err
}

// SetGroupConfig replaces a group's redelivery policy (XGROUP SETCONFIG).
func (b *Broker) SetGroupConfig(channel, group []byte, cfg *GroupConfig) error {
	r := NewRequest()
	r.SetGroupConfig(channel, group, cfg)
	_, err := b.doOne(r)
	return err
}

// ReadGroup delivers entries to a group's consumer (XREADGROUP ... >) and
// returns the result Request.ReadGroup describes (with its Err returned
// apart).
func (b *Broker) ReadGroup(channel, group, consumer []byte, o ReadGroupOptions) (Result, error) {
	r := NewRequest()
	r.ReadGroup(channel, group, consumer, o)
	res, err := b.doOne(r)
	return *res, err
}

// ReadHistory returns the IDs of the consumer's pending entries after
// after, at most count (0: all) (XREADGROUP with an ID).
func (b *Broker) ReadHistory(channel, group, consumer []byte, after ID, count int) ([]ID, error) {
	r := NewRequest()
	r.ReadHistory(channel, group, consumer, after, count)
	res, err := b.doOne(r)
	return res.IDs, err
}

// ClaimIdle claims the consumer's idle pending entries, then reads new
// ones (XREADGROUP ... CLAIM), and returns the result Request.ClaimIdle
// describes (with its Err returned apart).
func (b *Broker) ClaimIdle(channel, group, consumer []byte, minIdleMs int64, o ReadGroupOptions) (Result, error) {
	r := NewRequest()
	r.ClaimIdle(channel, group, consumer, minIdleMs, o)
	res, err := b.doOne(r)
	return *res, err
}

// Ack acknowledges entries (XACK) and returns how many were pending.
func (b *Broker) Ack(channel, group []byte, ids []ID) (int64, error) {
	r := NewRequest()
	r.Ack(channel, group, ids)
	res, err := b.doOne(r)
	return res.N, err
}

// Claim takes pending entries over (XCLAIM) and returns the IDs claimed
// (in ids' memory).
func (b *Broker) Claim(channel, group, consumer []byte, ids []ID, claim *ClaimInput) ([]ID, error) {
	r := NewRequest()
	r.Claim(channel, group, consumer, ids, claim)
	res, err := b.doOne(r)
	return res.IDs, err
}

// AutoClaim takes idle pending entries over (XAUTOCLAIM) and returns the
// IDs claimed, where the next call starts (0-0: the scan is done) and the
// pending entries it dropped as no longer in the channel.
func (b *Broker) AutoClaim(channel, group, consumer []byte, count int, claim *ClaimInput) (claimed []ID, next ID, deleted []ID, err error) {
	r := NewRequest()
	r.AutoClaim(channel, group, consumer, count, claim)
	res, err := b.doOne(r)
	return res.IDs, res.Next, res.Deleted, err
}

// AckDelete acknowledges and deletes entries (XACKDEL) and returns each
// ID's outcome (CodeNotFound, CodeDeleted, CodeReferenced).
func (b *Broker) AckDelete(channel, group []byte, ids []ID, ref RefPolicy) ([]int8, error) {
	r := NewRequest()
	r.AckDelete(channel, group, ids, ref)
	res, err := b.doOne(r)
	return res.Codes, err
}

// DeleteRef deletes entries as ref says (XDELEX) and returns each ID's
// outcome (CodeNotFound, CodeDeleted, CodeReferenced).
func (b *Broker) DeleteRef(channel []byte, ids []ID, ref RefPolicy) ([]int8, error) {
	r := NewRequest()
	r.DeleteRef(channel, ids, ref)
	res, err := b.doOne(r)
	return res.Codes, err
}

// SaveCursors writes subscriber cursors durably.
func (b *Broker) SaveCursors(cs []Cursor) error {
	if len(cs) == 0 {
		return nil
	}
	r := NewRequest()
	r.SaveCursors(cs)
	_, err := b.doOne(r)
	return err
}

// SetNodeLimits changes the stream node limits, durably (they apply to the
// appends that follow).
func (b *Broker) SetNodeLimits(n NodeLimits) error {
	r := NewRequest()
	r.SetNodeLimits(n)
	_, err := b.doOne(r)
	return err
}
