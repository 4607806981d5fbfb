package broker

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/rewind-mq/rewind/wal"
)

// TestOpKindsAgree: broker's enumerations and constants have wal's values,
// so that the conversions of convert.go are plain casts.
func TestOpKindsAgree(t *testing.T) {
	kinds := map[OpKind]wal.OpKind{
		OpAppend: wal.OpAppend, OpDelete: wal.OpDelete, OpTrim: wal.OpTrim, OpDrop: wal.OpDrop, OpSetID: wal.OpSetID,
		OpSetRetention: wal.OpSetRetention, OpGroupCreate: wal.OpGroupCreate, OpGroupDestroy: wal.OpGroupDestroy,
		OpGroupSetID: wal.OpGroupSetID, OpConsumerCreate: wal.OpConsumerCreate, OpConsumerDelete: wal.OpConsumerDelete,
		OpGroupRead: wal.OpGroupRead, OpAck: wal.OpAck, OpGroupHistory: wal.OpGroupHistory, OpGroupConfig: wal.OpGroupConfig,
		OpRedeliveryScan: wal.OpRedeliveryScan, OpSetCursors: wal.OpSetCursors, OpSetNodeLimits: wal.OpSetNodeLimits,
		OpClaim: wal.OpClaim, OpAutoClaim: wal.OpAutoClaim, OpClaimIdle: wal.OpClaimIdle, OpAckDel: wal.OpAckDel,
		OpDeleteEx: wal.OpDeleteEx, OpTrimRef: wal.OpTrimRef,
	}
	if len(kinds) != int(maxOpKind) {
		t.Errorf("%d kinds compared, broker has %d", len(kinds), maxOpKind)
	}
	for k, w := range kinds {
		if uint8(k) != uint8(w) {
			t.Errorf("OpKind %d is wal's %d", k, w)
		}
	}
	same := func(what string, pairs ...[2]int64) {
		for i, p := range pairs {
			if p[0] != p[1] {
				t.Errorf("%s %d: broker %d, wal %d", what, i, p[0], p[1])
			}
		}
	}
	same("TrimStrategy", [2]int64{int64(TrimNone), int64(wal.TrimNone)}, [2]int64{int64(TrimMaxLen), int64(wal.TrimMaxLen)},
		[2]int64{int64(TrimMinID), int64(wal.TrimMinID)}, [2]int64{int64(TrimMaxBytes), int64(wal.TrimMaxBytes)})
	same("RefPolicy", [2]int64{int64(RefKeep), int64(wal.RefKeep)}, [2]int64{int64(RefDelete), int64(wal.RefDelete)},
		[2]int64{int64(RefAcked), int64(wal.RefAcked)})
	same("DeliveryKind", [2]int64{int64(DeliveryNow), int64(wal.DeliveryNow)},
		[2]int64{int64(DeliveryIdle), int64(wal.DeliveryIdle)}, [2]int64{int64(DeliveryTime), int64(wal.DeliveryTime)})
	same("Code", [2]int64{int64(CodeNotFound), int64(wal.CodeNotFound)}, [2]int64{int64(CodeDeleted), int64(wal.CodeDeleted)},
		[2]int64{int64(CodeReferenced), int64(wal.CodeReferenced)})
	same("EntriesReadUnknown", [2]int64{EntriesReadUnknown, wal.EntriesReadUnknown})
}

// TestRequestFillsProposals: the proposals a Request hands the writer
// describe its commands exactly (claims and cursors included), and Wait
// copies every result back.
func TestRequestFillsProposals(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	r := NewRequest()
	for round := range 3 {
		r.Reset()
		var want []Command
		for range 20 {
			c := randomCommand(rng)
			*r.Add() = c
			want = append(want, c)
		}
		w := r.prepare()
		if len(w.Proposals) != r.Len() {
			t.Fatalf("round %d: %d proposals for %d commands", round, len(w.Proposals), r.Len())
		}
		for i := range w.Proposals {
			if got := CommandOf(&w.Proposals[i]); !reflect.DeepEqual(got, want[i]) {
				t.Fatalf("round %d, command %d:\n got  %+v\n want %+v", round, i, got, want[i])
			}
		}
	}
}

// TestResultOfCopiesEverything: every result of a proposal reaches the
// Result.
func TestResultOfCopiesEverything(t *testing.T) {
	errX := errors.New("x")
	p := wal.Proposal{
		ID: ID{Ms: 1, Seq: 2}, Incarnation: 3, LastID: ID{Ms: 4}, N: 5, Skipped: true, Err: errX, Receivers: 6,
		Created: true, ConsumerCreated: true, ConsumerDeleted: true, HeldBack: true, IDs: []ID{{Ms: 7}}, Codes: []int8{1},
		Entries: wal.Delivered("e"),
		Claim: &wal.ClaimArgs{Next: ID{Ms: 8}, Deleted: []ID{{Ms: 9}}, WakeMs: 10,
			Claimed: []wal.ClaimedEntry{{ID: ID{Ms: 11}, IdleMs: 12, Count: 13}}},
	}
	var r Result
	resultOf(&p, &r)
	r.Claimed = claimedOf(&p)
	want := Result{
		ID: ID{Ms: 1, Seq: 2}, Incarnation: 3, LastID: ID{Ms: 4}, N: 5, Skipped: true, Err: errX, Receivers: 6,
		Created: true, ConsumerCreated: true, ConsumerDeleted: true, HeldBack: true, IDs: []ID{{Ms: 7}}, Codes: []int8{1},
		Entries: Delivered("e"), Next: ID{Ms: 8}, Deleted: []ID{{Ms: 9}}, WakeMs: 10,
		Claimed: []ClaimedEntry{{ID: ID{Ms: 11}, IdleMs: 12, Count: 13}},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("resultOf:\n got  %+v\n want %+v", r, want)
	}
	// Every field of Result is set above: a new one must be copied too.
	v := reflect.ValueOf(r)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Errorf("Result.%s not covered", v.Type().Field(i).Name)
		}
	}
}

// TestRequestReuseAllocs: a reused Request fills the writer's proposals
// and reads back results without allocating, claims and cursors included.
func TestRequestReuseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningful without -race only")
	}
	r := NewRequest()
	channel, fields := []byte("c"), [][]byte{MessageField, []byte("m")}
	cursors := []Cursor{{Name: []byte("n"), Channel: []byte("c")}}
	claim := &ClaimInput{MinIdleMs: 5, ThenRead: true}
	round := func() {
		r.Reset()
		for range 50 {
			c := r.Add()
			c.Kind, c.Channel, c.Spec.Auto, c.Fields = OpAppend, channel, true, fields
		}
		c := r.Add()
		c.Kind, c.Claim = OpClaimIdle, claim
		c = r.Add()
		c.Kind, c.Cursors = OpSetCursors, cursors
		w := r.prepare()
		for i := range r.Len() {
			resultOf(&w.Proposals[i], r.Result(i))
		}
	}
	round()
	if n := testing.AllocsPerRun(100, round); n != 0 {
		t.Fatalf("%.1f allocations per reused request, want 0", n)
	}
}
