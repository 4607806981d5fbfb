package broker

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// builderCase is one typed builder call and the Command a front used to
// fill by hand for it (before the builders).
type builderCase struct {
	name  string
	build func(r *Request) int
	want  Command
}

func builderCases() []builderCase {
	ch, g, cons := []byte("ch"), []byte("g"), []byte("c")
	fields := [][]byte{[]byte("f"), []byte("v")}
	ids := []ID{{Ms: 1, Seq: 2}, {Ms: 3}}
	trim := Trim{Strategy: TrimMaxLen, Approx: true, MaxLen: 10, Limit: 100}
	cfg := &GroupConfig{AckWaitMs: 5, BackoffMs: []int64{1, 2}, MaxDeliver: 3, DeadLetter: "dl", MaxPending: 7}
	claim := &ClaimInput{MinIdleMs: 9, Delivery: DeliveryIdle, DeliveryMs: 4, RetryCount: -1, Force: true, LastID: ID{Ms: 8}}
	cursors := []Cursor{{Name: []byte("n"), Channel: ch, ID: ID{Ms: 2}, SeenMs: 3, Incarnation: 4}}
	return []builderCase{
		{"Append", func(r *Request) int {
			return r.Append(ch, IDSpec{SeqAuto: true, ID: ID{Ms: 5}}, fields, AppendOptions{NoCreate: true, Trim: trim, Ref: RefDelete})
		}, Command{Kind: OpAppend, Channel: ch, Spec: IDSpec{SeqAuto: true, ID: ID{Ms: 5}}, Fields: fields, NoCreate: true, Trim: trim, Ref: RefDelete}},
		{"Append notified", func(r *Request) int {
			return r.Notify(r.Append(ch, IDSpec{Auto: true}, fields, AppendOptions{}))
		}, Command{Kind: OpAppend, Channel: ch, Spec: IDSpec{Auto: true}, Fields: fields, Tag: TagNotify}},
		{"Publish", func(r *Request) int { return r.Publish(ch, []byte("m")) },
			Command{Kind: OpAppend, Channel: ch, Spec: IDSpec{Auto: true}, Fields: [][]byte{MessageField, []byte("m")}, Tag: TagPublish}},
		{"ShardPublish", func(r *Request) int { return r.ShardPublish(ch, []byte("m")) },
			Command{Kind: OpAppend, Channel: ch, Spec: IDSpec{Auto: true}, Fields: [][]byte{MessageField, []byte("m")}, Tag: TagSPublish}},
		{"Delete", func(r *Request) int { return r.Notify(r.Delete(ch, ids)) },
			Command{Kind: OpDelete, Channel: ch, IDs: ids, Tag: TagNotify}},
		{"Trim", func(r *Request) int { return r.Trim(ch, trim, RefAcked) },
			Command{Kind: OpTrimRef, Channel: ch, Trim: trim, Ref: RefAcked}},
		{"Drop", func(r *Request) int { return r.Drop(ch) }, Command{Kind: OpDrop, Channel: ch}},
		{"SetID", func(r *Request) int {
			return r.SetID(ch, SetID{LastID: ID{Ms: 9}, EntriesAdded: 3, HasEntriesAdded: true})
		}, Command{Kind: OpSetID, Channel: ch, SetID: SetID{LastID: ID{Ms: 9}, EntriesAdded: 3, HasEntriesAdded: true}}},
		{"SetRetention", func(r *Request) int { return r.SetRetention(ch, Retention{MaxAgeMs: 1, MaxLen: -1, Interest: true}) },
			Command{Kind: OpSetRetention, Channel: ch, Retention: Retention{MaxAgeMs: 1, MaxLen: -1, Interest: true}}},
		{"CreateGroup", func(r *Request) int {
			return r.CreateGroup(ch, g, GroupStart{ID: ID{Ms: 4}, MkStream: true, Config: cfg})
		}, Command{Kind: OpGroupCreate, Channel: ch, Group: g, Spec: IDSpec{ID: ID{Ms: 4}}, MkStream: true, EntriesRead: EntriesReadUnknown, Config: cfg}},
		{"CreateGroup at $ with ENTRIESREAD", func(r *Request) int {
			return r.CreateGroup(ch, g, GroupStart{AtLastID: true, EntriesRead: 6, HasEntriesRead: true})
		}, Command{Kind: OpGroupCreate, Channel: ch, Group: g, AtLastID: true, EntriesRead: 6}},
		{"SetGroupID", func(r *Request) int { return r.SetGroupID(ch, g, GroupStart{ID: ID{Ms: 2}}) },
			Command{Kind: OpGroupSetID, Channel: ch, Group: g, Spec: IDSpec{ID: ID{Ms: 2}}, EntriesRead: EntriesReadUnknown}},
		{"DestroyGroup", func(r *Request) int { return r.DestroyGroup(ch, g) },
			Command{Kind: OpGroupDestroy, Channel: ch, Group: g}},
		{"CreateConsumer", func(r *Request) int { return r.CreateConsumer(ch, g, cons) },
			Command{Kind: OpConsumerCreate, Channel: ch, Group: g, Consumer: cons}},
		{"DeleteConsumer", func(r *Request) int { return r.DeleteConsumer(ch, g, cons) },
			Command{Kind: OpConsumerDelete, Channel: ch, Group: g, Consumer: cons}},
		{"SetGroupConfig", func(r *Request) int { return r.SetGroupConfig(ch, g, cfg) },
			Command{Kind: OpGroupConfig, Channel: ch, Group: g, Config: cfg}},
		{"ReadGroup", func(r *Request) int {
			return r.ReadGroup(ch, g, cons, ReadGroupOptions{Count: 10, NoAck: true, WantEntries: true})
		}, Command{Kind: OpGroupRead, Channel: ch, Group: g, Consumer: cons, Count: 10, NoAck: true, WantEntries: true}},
		{"ReadHistory", func(r *Request) int { return r.ReadHistory(ch, g, cons, ID{Ms: 3}, 5) },
			Command{Kind: OpGroupHistory, Channel: ch, Group: g, Consumer: cons, Count: 5, Spec: IDSpec{ID: ID{Ms: 3}}}},
		{"ClaimIdle", func(r *Request) int { return r.ClaimIdle(ch, g, cons, 11, ReadGroupOptions{Count: 4, NoAck: true}) },
			Command{Kind: OpClaimIdle, Channel: ch, Group: g, Consumer: cons, Count: 4, NoAck: true, Claim: &ClaimInput{MinIdleMs: 11, ThenRead: true}}},
		{"Ack", func(r *Request) int { return r.Ack(ch, g, ids) },
			Command{Kind: OpAck, Channel: ch, Group: g, IDs: ids}},
		{"Claim", func(r *Request) int { return r.Claim(ch, g, cons, ids, claim) },
			Command{Kind: OpClaim, Channel: ch, Group: g, Consumer: cons, IDs: ids, Claim: claim}},
		{"AutoClaim", func(r *Request) int { return r.AutoClaim(ch, g, cons, 25, claim) },
			Command{Kind: OpAutoClaim, Channel: ch, Group: g, Consumer: cons, Count: 25, Claim: claim}},
		{"AckDelete", func(r *Request) int { return r.AckDelete(ch, g, ids, RefDelete) },
			Command{Kind: OpAckDel, Channel: ch, Group: g, IDs: ids, Ref: RefDelete}},
		{"DeleteRef", func(r *Request) int { return r.DeleteRef(ch, ids, RefAcked) },
			Command{Kind: OpDeleteEx, Channel: ch, IDs: ids, Ref: RefAcked}},
		{"SaveCursors", func(r *Request) int { return r.SaveCursors(cursors) },
			Command{Kind: OpSetCursors, Cursors: cursors}},
		{"SetNodeLimits", func(r *Request) int { return r.SetNodeLimits(NodeLimits{MaxEntries: 100, MaxBytes: -1}) },
			Command{Kind: OpSetNodeLimits, NodeLimits: NodeLimits{MaxEntries: 100, MaxBytes: -1}}},
	}
}

// notBuilt are the kinds no builder adds, and why.
var notBuilt = map[OpKind]string{
	OpTrim:           "the retention pass's trim, proposed inside the writer (XTRIM is Trim: OpTrimRef)",
	OpRedeliveryScan: "the broker's periodic scan, proposed by its timer",
}

// TestBuildersFillCommands: each typed builder adds one command at the
// index it returns, equal to the one a front filled by hand, and it
// encodes to the same bytes and decodes back to it, alone and in a batch;
// every kind but those in notBuilt has a builder.
func TestBuildersFillCommands(t *testing.T) {
	built := map[OpKind]bool{}
	r := NewRequest()
	var got, want Batch
	for _, c := range builderCases() {
		r.Reset()
		r.Drop([]byte("before"))
		i := c.build(r)
		if i != 1 || r.Len() != 2 {
			t.Errorf("%s: index %d of %d commands, want 1 of 2", c.name, i, r.Len())
			continue
		}
		cmd := *r.Command(i)
		if !reflect.DeepEqual(cmd, c.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", c.name, cmd, c.want)
		}
		enc, wantEnc := EncodeCommand(nil, &cmd), EncodeCommand(nil, &c.want)
		if !bytes.Equal(enc, wantEnc) {
			t.Errorf("%s: encodes to %x, the hand-filled command to %x", c.name, enc, wantEnc)
		}
		dec, err := DecodeCommand(enc)
		if err != nil || !bytes.Equal(EncodeCommand(nil, &dec), enc) {
			t.Errorf("%s: decoded %+v, %v", c.name, dec, err)
		}
		built[cmd.Kind] = true
		// dec, not cmd: a Publish's fields are the request's memory,
		// cleared by the next Reset.
		got.Commands, want.Commands = append(got.Commands, dec), append(want.Commands, c.want)
	}
	got.TimeMs, want.TimeMs = 1234, 1234
	gotBatch, err := DecodeBatch(EncodeBatch(nil, &got))
	if err != nil {
		t.Fatal(err)
	}
	wantBatch, err := DecodeBatch(EncodeBatch(nil, &want))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotBatch, wantBatch) {
		t.Error("the builders' batch decodes other than the hand-filled one")
	}
	for k := OpAppend; k <= OpTrimRef; k++ {
		if _, skip := notBuilt[k]; !built[k] && !skip {
			t.Errorf("no builder case adds kind %d", k)
		}
	}
}

// TestBuildersReuseAllocs: a reused request built with the builders
// (publishes, appends, a group read, acks) allocates nothing per command.
func TestBuildersReuseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningful without -race only")
	}
	r := NewRequest()
	ch, g, cons, payload := []byte("c"), []byte("g"), []byte("k"), []byte("m")
	fields, ids := [][]byte{[]byte("f"), []byte("v")}, []ID{{Ms: 1}}
	round := func() {
		r.Reset()
		for range 50 {
			r.Publish(ch, payload)
			r.Notify(r.Append(ch, IDSpec{Auto: true}, fields, AppendOptions{}))
			r.Ack(ch, g, ids)
		}
		r.Notify(r.ReadGroup(ch, g, cons, ReadGroupOptions{Count: 10, WantEntries: true}))
		if !r.HasAppend() {
			t.Fatal("HasAppend: false for a request of appends")
		}
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("%.1f allocations per reused request, want 0", n)
	}
}

// TestBuilderReadGroupEntries: a read's entries are appended to the
// buffer ReadGroupOptions gives.
func TestBuilderReadGroupEntries(t *testing.T) {
	r := NewRequest()
	buf := make(Delivered, 0, 64)
	i := r.ReadGroup([]byte("c"), []byte("g"), []byte("k"), ReadGroupOptions{WantEntries: true, Entries: buf})
	if e := r.Result(i).Entries; e == nil || cap(e) != 64 {
		t.Fatalf("Result.Entries %v (cap %d), want the given buffer", e, cap(e))
	}
	j := r.ReadGroup([]byte("c"), []byte("g"), []byte("k"), ReadGroupOptions{Entries: buf})
	if r.Result(j).Entries != nil {
		t.Fatal("Result.Entries set without WantEntries")
	}
}

func TestHasAppend(t *testing.T) {
	r := NewRequest()
	r.Ack([]byte("c"), []byte("g"), nil)
	r.Drop([]byte("c"))
	if r.HasAppend() {
		t.Fatal("HasAppend: true without an append")
	}
	r.ShardPublish([]byte("c"), []byte("m"))
	if !r.HasAppend() {
		t.Fatal("HasAppend: false after ShardPublish")
	}
}

// errIs fails t unless err is want (nil: no error).
func errIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// BenchmarkBuildPipeline builds a reused request of 32 publishes and 32
// XADDs with the builders, and as fronts filled it by hand before them.
func BenchmarkBuildPipeline(b *testing.B) {
	ch, payload := []byte("c"), []byte("m")
	fields := [][]byte{[]byte("f"), []byte("v")}
	pairs := make([][]byte, 0, 64)
	r := NewRequest()
	b.Run("builders", func(b *testing.B) {
		for range b.N {
			r.Reset()
			for range 32 {
				r.Publish(ch, payload)
				r.Notify(r.Append(ch, IDSpec{Auto: true}, fields, AppendOptions{}))
			}
		}
	})
	b.Run("filled", func(b *testing.B) {
		for range b.N {
			r.Reset()
			pairs = pairs[:0]
			for range 32 {
				n := len(pairs)
				pairs = append(pairs, MessageField, payload)
				c := r.Add()
				c.Kind, c.Channel, c.Spec.Auto, c.Fields, c.Tag = OpAppend, ch, true, pairs[n:n+2:n+2], TagPublish
				c = r.Add()
				c.Kind, c.Channel, c.Spec.Auto, c.Fields, c.Tag = OpAppend, ch, true, fields, TagNotify
			}
		}
	})
}
