package broker

import (
	"reflect"
	"slices"
	"testing"
)

func openTempBroker(t *testing.T) *Broker {
	t.Helper()
	b, err := Open(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func idList(ids ...ID) []ID { return ids }

// TestOneShotChannelWrites: the one-shot channel writes on a real broker
// return what the writes did as plain values, and catalog errors.
func TestOneShotChannelWrites(t *testing.T) {
	b := openTempBroker(t)
	s, fields := []byte("s"), [][]byte{[]byte("f"), []byte("v")}

	id, receivers, err := b.Publish([]byte("p"), []byte("hello"))
	errIs(t, "Publish", err, nil)
	if id.IsZero() || receivers != 0 {
		t.Fatalf("Publish: %v, %d receivers", id, receivers)
	}
	if m, ok := b.Meta([]byte("p")); !ok || m.Length != 1 || m.LastID != id {
		t.Fatalf("after Publish: %+v %v", m, ok)
	}

	for _, ms := range []uint64{1, 2, 3} {
		id, err := b.Append(s, IDSpec{ID: ID{Ms: ms}}, fields, AppendOptions{})
		errIs(t, "Append", err, nil)
		if id != (ID{Ms: ms}) {
			t.Fatalf("Append %d: ID %v", ms, id)
		}
	}
	_, err = b.Append(s, IDSpec{ID: ID{Ms: 2}}, fields, AppendOptions{})
	errIs(t, "Append below the top", err, ErrIDNotAboveTop)
	id, err = b.Append([]byte("none"), IDSpec{Auto: true}, fields, AppendOptions{NoCreate: true})
	errIs(t, "Append NoCreate", err, nil)
	if _, ok := b.Meta([]byte("none")); !id.IsZero() || ok {
		t.Fatalf("Append NoCreate to a missing channel: %v, created %v", id, ok)
	}

	n, err := b.Delete(s, idList(ID{Ms: 2}, ID{Ms: 9}))
	errIs(t, "Delete", err, nil)
	if n != 1 {
		t.Fatalf("Delete: %d, want 1", n)
	}
	n, err = b.Trim(s, Trim{Strategy: TrimMaxLen, MaxLen: 1}, RefKeep)
	errIs(t, "Trim", err, nil)
	if m, _ := b.Meta(s); n != 1 || m.Length != 1 || m.FirstID != (ID{Ms: 3}) {
		t.Fatalf("Trim: %d removed, %+v", n, m)
	}

	errIs(t, "SetID", b.SetID(s, SetID{LastID: ID{Ms: 5}}), nil)
	errIs(t, "SetID below the max deleted ID", b.SetID(s, SetID{LastID: ID{Ms: 1}}), ErrSetIDBelowDel)
	ret := Retention{MaxLen: 100, MaxAgeMs: -1}
	errIs(t, "SetRetention", b.SetRetention(s, ret), nil)
	if m, _ := b.Meta(s); m.LastID != (ID{Ms: 5}) || m.Retention != ret {
		t.Fatalf("after SetID and SetRetention: %+v", m)
	}

	limits := NodeLimits{MaxEntries: 50, MaxBytes: 2048}
	errIs(t, "SetNodeLimits", b.SetNodeLimits(limits), nil)
	if got := b.NodeLimits(); got != limits {
		t.Fatalf("NodeLimits %+v, want %+v", got, limits)
	}
	errIs(t, "SaveCursors", b.SaveCursors([]Cursor{{Name: []byte("sub"), Channel: s, ID: ID{Ms: 3}, SeenMs: b.Now()}}), nil)
	if pos, ok, err := b.CursorOf([]byte("sub"), s); err != nil || !ok || pos.ID != (ID{Ms: 3}) {
		t.Fatalf("CursorOf after SaveCursors: %+v %v %v", pos, ok, err)
	}

	for _, want := range []bool{true, false} {
		existed, err := b.Drop(s)
		errIs(t, "Drop", err, nil)
		if existed != want {
			t.Fatalf("Drop: existed %v, want %v", existed, want)
		}
	}
}

// TestOneShotGroupWrites: the one-shot group writes on a real broker.
func TestOneShotGroupWrites(t *testing.T) {
	b := openTempBroker(t)
	s, g, fields := []byte("s"), []byte("g"), [][]byte{[]byte("f"), []byte("v")}

	errIs(t, "CreateGroup without the channel", b.CreateGroup(s, g, GroupStart{}), ErrGroupNeedsStream)
	errIs(t, "CreateGroup MkStream", b.CreateGroup(s, g, GroupStart{MkStream: true}), nil)
	errIs(t, "CreateGroup again", b.CreateGroup(s, g, GroupStart{}), ErrBusyGroup)
	for _, ms := range []uint64{1, 2, 3} {
		if _, err := b.Append(s, IDSpec{ID: ID{Ms: ms}}, fields, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	for _, want := range []bool{true, false} {
		created, err := b.CreateConsumer(s, g, []byte("idle"))
		errIs(t, "CreateConsumer", err, nil)
		if created != want {
			t.Fatalf("CreateConsumer: created %v, want %v", created, want)
		}
	}

	read, err := b.ReadGroup(s, g, []byte("a"), ReadGroupOptions{Count: 2, WantEntries: true})
	errIs(t, "ReadGroup", err, nil)
	if read.N != 2 || read.ID != (ID{Ms: 1}) || read.LastID != (ID{Ms: 2}) || !read.ConsumerCreated {
		t.Fatalf("ReadGroup: %+v", read)
	}
	var delivered []ID
	if _, err := EachDelivered(read.Entries, nil, func(e *Entry) error { delivered = append(delivered, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(delivered, idList(ID{Ms: 1}, ID{Ms: 2})) {
		t.Fatalf("ReadGroup entries %v", delivered)
	}
	history, err := b.ReadHistory(s, g, []byte("a"), ID{}, 0)
	errIs(t, "ReadHistory", err, nil)
	if !slices.Equal(history, idList(ID{Ms: 1}, ID{Ms: 2})) {
		t.Fatalf("ReadHistory %v", history)
	}

	acked, err := b.Ack(s, g, idList(ID{Ms: 1}, ID{Ms: 9}))
	errIs(t, "Ack", err, nil)
	if acked != 1 {
		t.Fatalf("Ack: %d, want 1", acked)
	}
	claimed, err := b.Claim(s, g, []byte("b"), idList(ID{Ms: 2}), &ClaimInput{RetryCount: -1})
	errIs(t, "Claim", err, nil)
	if !slices.Equal(claimed, idList(ID{Ms: 2})) {
		t.Fatalf("Claim %v", claimed)
	}
	claimed, next, deleted, err := b.AutoClaim(s, g, []byte("c"), 10, &ClaimInput{RetryCount: -1})
	errIs(t, "AutoClaim", err, nil)
	if !slices.Equal(claimed, idList(ID{Ms: 2})) || !next.IsZero() || len(deleted) != 0 {
		t.Fatalf("AutoClaim: %v, next %v, deleted %v", claimed, next, deleted)
	}
	idle, err := b.ClaimIdle(s, g, []byte("d"), 0, ReadGroupOptions{Count: 10})
	errIs(t, "ClaimIdle", err, nil)
	if len(idle.Claimed) != 1 || idle.Claimed[0].ID != (ID{Ms: 2}) || idle.N != 1 || idle.ID != (ID{Ms: 3}) {
		t.Fatalf("ClaimIdle: %+v", idle)
	}

	codes, err := b.AckDelete(s, g, idList(ID{Ms: 2}, ID{Ms: 9}), RefKeep)
	errIs(t, "AckDelete", err, nil)
	if !slices.Equal(codes, []int8{CodeDeleted, CodeNotFound}) {
		t.Fatalf("AckDelete codes %v", codes)
	}
	codes, err = b.DeleteRef(s, idList(ID{Ms: 1}, ID{Ms: 9}), RefKeep)
	errIs(t, "DeleteRef", err, nil)
	if !slices.Equal(codes, []int8{CodeDeleted, CodeNotFound}) {
		t.Fatalf("DeleteRef codes %v", codes)
	}

	pending, err := b.DeleteConsumer(s, g, []byte("d"))
	errIs(t, "DeleteConsumer", err, nil)
	if pending != 1 { // 3-0, read by ClaimIdle
		t.Fatalf("DeleteConsumer: %d pending, want 1", pending)
	}

	cfg := GroupConfig{AckWaitMs: 1000, MaxDeliver: 3}
	errIs(t, "SetGroupConfig", b.SetGroupConfig(s, g, &cfg), nil)
	errIs(t, "SetGroupID", b.SetGroupID(s, g, GroupStart{AtLastID: true}), nil)
	info, ok := b.Group(s, g)
	if !ok || !reflect.DeepEqual(info.Config, cfg) || info.LastID != (ID{Ms: 3}) {
		t.Fatalf("group after SetGroupConfig and SetGroupID: %+v %v", info, ok)
	}
	errIs(t, "SetGroupID of a missing group", b.SetGroupID(s, []byte("none"), GroupStart{}), ErrNoGroup)

	for _, want := range []bool{true, false} {
		existed, err := b.DestroyGroup(s, g)
		errIs(t, "DestroyGroup", err, nil)
		if existed != want {
			t.Fatalf("DestroyGroup: existed %v, want %v", existed, want)
		}
	}
}
