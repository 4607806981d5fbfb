package broker

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The command encoding, version 1:
//
//	command = version(1) kind(1) { tag(uvarint) payload }*
//
// Each input that is not zero is written once, as a tag and its payload,
// in increasing tag order; booleans are a tag alone. Integers are varints
// (uvarint when they cannot be negative), byte strings and lists are
// length-prefixed, IDs are <uvarint ms><uvarint seq>. The decoder refuses
// an unknown version, kind or tag, tags out of order or twice, lengths
// past the end and trailing bytes, with ErrBadCommand; it never panics
// (FuzzDecodeCommand). A batch is version(1) <varint time ms> <uvarint
// count> then each command length-prefixed.

// commandVersion is the version of the encoding EncodeCommand writes.
const commandVersion = 1

// ErrBadCommand: bytes that are not an encoded command or batch.
var ErrBadCommand = errors.New("broker: malformed command")

// maxOpKind is the last operation a command may name.
const maxOpKind = OpTrimRef

// Tags of the command encoding. Never reuse or renumber one: add new tags
// (and bump commandVersion only for a change old decoders must refuse).
const (
	tagChannel = iota + 1
	tagSpec
	tagFields
	tagNoCreate
	tagTrim
	tagIDs
	tagSetID
	tagRetention
	tagGroup
	tagConsumer
	tagCount
	tagNoAck
	tagMkStream
	tagAtLastID
	tagEntriesRead
	tagConfig
	tagClaim
	tagRef
	tagCursors
	tagNodeLimits
	tagWantEntries
	tagTag
	tagMaxPending       // Command.MaxPending
	tagConfigMaxPending // Config.MaxPending, after tagConfig's payload (which has no room for it)
	tagLast             = tagConfigMaxPending
)

// EncodeCommand appends c's encoding to dst.
func EncodeCommand(dst []byte, c *Command) []byte {
	e := encoder{b: append(dst, commandVersion, byte(c.Kind))}
	e.bytes(tagChannel, c.Channel)
	if c.Spec != (IDSpec{}) {
		e.tag(tagSpec)
		e.b = append(e.b, flags(c.Spec.Auto, c.Spec.SeqAuto))
		e.id(c.Spec.ID)
	}
	if len(c.Fields) > 0 {
		e.tag(tagFields)
		e.list(c.Fields)
	}
	e.flag(tagNoCreate, c.NoCreate)
	if c.Trim != (Trim{}) {
		e.tag(tagTrim)
		t := &c.Trim
		e.b = append(e.b, byte(t.Strategy), flags(t.Approx, t.Interest))
		e.uvarint(t.MaxLen)
		e.id(t.MinID)
		e.uvarint(t.MaxBytes)
		e.varint(t.Limit)
	}
	if len(c.IDs) > 0 {
		e.tag(tagIDs)
		e.uvarint(uint64(len(c.IDs)))
		for _, id := range c.IDs {
			e.id(id)
		}
	}
	if c.SetID != (SetID{}) {
		e.tag(tagSetID)
		s := &c.SetID
		e.b = append(e.b, flags(s.HasEntriesAdded, s.HasMaxDeleted))
		e.id(s.LastID)
		e.uvarint(s.EntriesAdded)
		e.id(s.MaxDeletedID)
	}
	if c.Retention != (Retention{}) {
		e.tag(tagRetention)
		r := &c.Retention
		e.varint(r.MaxAgeMs)
		e.varint(r.MaxLen)
		e.varint(r.MaxBytes)
		e.b = append(e.b, flags(r.Interest))
	}
	e.bytes(tagGroup, c.Group)
	e.bytes(tagConsumer, c.Consumer)
	if c.Count != 0 {
		e.tag(tagCount)
		e.varint(int64(c.Count))
	}
	e.flag(tagNoAck, c.NoAck)
	e.flag(tagMkStream, c.MkStream)
	e.flag(tagAtLastID, c.AtLastID)
	if c.EntriesRead != 0 {
		e.tag(tagEntriesRead)
		e.varint(c.EntriesRead)
	}
	if c.Config != nil {
		e.tag(tagConfig)
		e.config(c.Config)
	}
	if c.Claim != nil {
		e.tag(tagClaim)
		e.claim(c.Claim)
	}
	if c.Ref != 0 {
		e.tag(tagRef)
		e.b = append(e.b, byte(c.Ref))
	}
	if len(c.Cursors) > 0 {
		e.tag(tagCursors)
		e.uvarint(uint64(len(c.Cursors)))
		for i := range c.Cursors {
			e.cursor(&c.Cursors[i])
		}
	}
	if c.NodeLimits != (NodeLimits{}) {
		e.tag(tagNodeLimits)
		e.varint(c.NodeLimits.MaxEntries)
		e.varint(c.NodeLimits.MaxBytes)
	}
	e.flag(tagWantEntries, c.WantEntries)
	if c.Tag != 0 {
		e.tag(tagTag)
		e.b = append(e.b, c.Tag)
	}
	if c.MaxPending != 0 {
		e.tag(tagMaxPending)
		e.varint(c.MaxPending)
	}
	if c.Config != nil && c.Config.MaxPending != 0 {
		e.tag(tagConfigMaxPending)
		e.varint(c.Config.MaxPending)
	}
	return e.b
}

// EncodeBatch appends b's encoding to dst.
func EncodeBatch(dst []byte, b *Batch) []byte {
	dst = append(dst, commandVersion)
	dst = binary.AppendVarint(dst, b.TimeMs)
	dst = binary.AppendUvarint(dst, uint64(len(b.Commands)))
	var scratch []byte
	for i := range b.Commands {
		scratch = EncodeCommand(scratch[:0], &b.Commands[i])
		dst = binary.AppendUvarint(dst, uint64(len(scratch)))
		dst = append(dst, scratch...)
	}
	return dst
}

func flags(bits ...bool) byte {
	var f byte
	for i, b := range bits {
		if b {
			f |= 1 << i
		}
	}
	return f
}

type encoder struct{ b []byte }

func (e *encoder) tag(t int)          { e.uvarint(uint64(t)) }
func (e *encoder) uvarint(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)     { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) id(id ID)           { e.uvarint(id.Ms); e.uvarint(id.Seq) }
func (e *encoder) raw(b []byte)       { e.uvarint(uint64(len(b))); e.b = append(e.b, b...) }
func (e *encoder) flag(t int, v bool) { e.maybe(t, v) }

func (e *encoder) maybe(t int, present bool) {
	if present {
		e.tag(t)
	}
}

func (e *encoder) bytes(t int, b []byte) {
	if len(b) > 0 {
		e.tag(t)
		e.raw(b)
	}
}

func (e *encoder) list(items [][]byte) {
	e.uvarint(uint64(len(items)))
	for _, it := range items {
		e.raw(it)
	}
}

func (e *encoder) config(c *GroupConfig) {
	e.varint(c.AckWaitMs)
	e.uvarint(uint64(len(c.BackoffMs)))
	for _, ms := range c.BackoffMs {
		e.varint(ms)
	}
	e.varint(c.MaxDeliver)
	e.raw([]byte(c.DeadLetter))
}

func (e *encoder) claim(c *ClaimInput) {
	e.varint(c.MinIdleMs)
	e.b = append(e.b, byte(c.Delivery), flags(c.Force, c.JustID, c.ThenRead))
	e.varint(c.DeliveryMs)
	e.varint(c.RetryCount)
	e.id(c.LastID)
	e.id(c.Start)
}

func (e *encoder) cursor(c *Cursor) {
	e.raw(c.Name)
	e.raw(c.Channel)
	e.id(c.ID)
	e.varint(c.SeenMs)
	e.uvarint(c.Incarnation)
	e.b = append(e.b, flags(c.Delete, c.OnPattern, c.Base))
	e.raw(c.Pattern)
}

// DecodeCommand decodes one command. The result's byte slices point into b.
func DecodeCommand(b []byte) (Command, error) {
	var c Command
	d := decoder{b: b}
	if version := d.byte(); version != commandVersion {
		return c, d.fail(fmt.Sprintf("version %d", version))
	}
	c.Kind = OpKind(d.byte())
	if d.err == nil && (c.Kind < OpAppend || c.Kind > maxOpKind) {
		return c, d.fail(fmt.Sprintf("kind %d", c.Kind))
	}
	last := 0
	for d.err == nil && len(d.b) > 0 {
		t := int(d.uvarint())
		if d.err == nil && (t <= last || t > tagLast) {
			return c, d.fail(fmt.Sprintf("tag %d after %d", t, last))
		}
		last = t
		d.field(&c, t)
	}
	return c, d.err
}

// DecodeBatch decodes a batch. Its byte slices point into b.
func DecodeBatch(b []byte) (Batch, error) {
	var out Batch
	d := decoder{b: b}
	if version := d.byte(); version != commandVersion {
		return out, d.fail(fmt.Sprintf("batch version %d", version))
	}
	out.TimeMs = d.varint()
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		enc := d.raw()
		if d.err != nil {
			break
		}
		c, err := DecodeCommand(enc)
		if err != nil {
			return out, err
		}
		out.Commands = append(out.Commands, c)
	}
	if d.err == nil && len(d.b) > 0 {
		return out, d.fail("trailing bytes")
	}
	return out, d.err
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) error {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadCommand, what)
	}
	return d.err
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) id() ID { return ID{Ms: d.uvarint(), Seq: d.uvarint()} }

// count reads a list length; each element takes at least one byte, so a
// length past what is left is malformed (and allocates nothing).
func (d *decoder) count() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.fail("list longer than the input")
		return 0
	}
	return int(n)
}

func (d *decoder) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("string longer than the input")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) bits(n int) []bool {
	f := d.byte()
	if d.err == nil && f>>n != 0 {
		d.fail("unknown flag")
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = f&(1<<i) != 0
	}
	return out
}

// field decodes the payload of tag t into c.
func (d *decoder) field(c *Command, t int) {
	switch t {
	case tagChannel:
		c.Channel = d.raw()
	case tagSpec:
		f := d.bits(2)
		c.Spec = IDSpec{Auto: f[0], SeqAuto: f[1], ID: d.id()}
	case tagFields:
		n := d.count()
		for i := 0; i < n && d.err == nil; i++ {
			c.Fields = append(c.Fields, d.raw())
		}
	case tagNoCreate:
		c.NoCreate = true
	case tagTrim:
		c.Trim.Strategy = TrimStrategy(d.byte())
		f := d.bits(2)
		c.Trim.Approx, c.Trim.Interest = f[0], f[1]
		c.Trim.MaxLen, c.Trim.MinID, c.Trim.MaxBytes, c.Trim.Limit = d.uvarint(), d.id(), d.uvarint(), d.varint()
	case tagIDs:
		n := d.count()
		for i := 0; i < n && d.err == nil; i++ {
			c.IDs = append(c.IDs, d.id())
		}
	case tagSetID:
		f := d.bits(2)
		c.SetID = SetID{HasEntriesAdded: f[0], HasMaxDeleted: f[1]}
		c.SetID.LastID, c.SetID.EntriesAdded, c.SetID.MaxDeletedID = d.id(), d.uvarint(), d.id()
	case tagRetention:
		c.Retention = Retention{MaxAgeMs: d.varint(), MaxLen: d.varint(), MaxBytes: d.varint()}
		c.Retention.Interest = d.bits(1)[0]
	default:
		d.groupField(c, t)
	}
}

// groupField decodes the payloads of the consumer-group and later tags.
func (d *decoder) groupField(c *Command, t int) {
	switch t {
	case tagGroup:
		c.Group = d.raw()
	case tagConsumer:
		c.Consumer = d.raw()
	case tagCount:
		c.Count = int(d.varint())
	case tagNoAck:
		c.NoAck = true
	case tagMkStream:
		c.MkStream = true
	case tagAtLastID:
		c.AtLastID = true
	case tagEntriesRead:
		c.EntriesRead = d.varint()
	case tagConfig:
		c.Config = d.config()
	case tagClaim:
		c.Claim = d.claim()
	case tagRef:
		c.Ref = RefPolicy(d.byte())
	case tagCursors:
		n := d.count()
		for i := 0; i < n && d.err == nil; i++ {
			c.Cursors = append(c.Cursors, d.cursor())
		}
	case tagNodeLimits:
		c.NodeLimits = NodeLimits{MaxEntries: d.varint(), MaxBytes: d.varint()}
	case tagWantEntries:
		c.WantEntries = true
	case tagTag:
		c.Tag = d.byte()
	case tagMaxPending:
		c.MaxPending = d.varint()
	case tagConfigMaxPending:
		if c.Config == nil {
			d.fail("config max pending without a config")
			return
		}
		c.Config.MaxPending = d.varint()
	}
}

func (d *decoder) config() *GroupConfig {
	c := &GroupConfig{AckWaitMs: d.varint()}
	n := d.count()
	for i := 0; i < n && d.err == nil; i++ {
		c.BackoffMs = append(c.BackoffMs, d.varint())
	}
	c.MaxDeliver = d.varint()
	c.DeadLetter = string(d.raw())
	return c
}

func (d *decoder) claim() *ClaimInput {
	c := &ClaimInput{MinIdleMs: d.varint(), Delivery: DeliveryKind(d.byte())}
	f := d.bits(3)
	c.Force, c.JustID, c.ThenRead = f[0], f[1], f[2]
	c.DeliveryMs, c.RetryCount, c.LastID, c.Start = d.varint(), d.varint(), d.id(), d.id()
	return c
}

func (d *decoder) cursor() Cursor {
	c := Cursor{Name: d.raw(), Channel: d.raw(), ID: d.id(), SeenMs: d.varint(), Incarnation: d.uvarint()}
	f := d.bits(3)
	c.Delete, c.OnPattern, c.Base = f[0], f[1], f[2]
	c.Pattern = d.raw()
	return c
}
