package wal

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestSnapshotRestore: a replica that restores a leader's snapshot has the
// leader's state — the same digest at the same applied index, after a
// restart too — and its view of it is reloaded: the same further requests
// give both the same results and digests. Its readers waiting on a channel
// are woken. A damaged snapshot is refused and changes nothing.
func TestSnapshotRestore(t *testing.T) {
	a := newDetLog(t, nil)
	rng := rand.New(rand.NewPCG(5, 5))
	var history []*Request
	var ops []detWrite
	for step := range 800 {
		w := randomWrite(rng, step)
		history, ops = append(history, a.apply(t, w)), append(ops, w)
	}
	var snap bytes.Buffer
	at, err := a.l.Snapshot(0, &snap)
	if err != nil || at != 800 {
		t.Fatalf("snapshot at %d: %v", at, err)
	}

	fs := vfs.NewMem()
	b := &detLog{l: openMem(t, fs, func(o *Options) { o.NowMs = func() int64 { return 1 } })}
	publish(t, b.l, "c0", "a write the snapshot replaces")
	publish(t, b.l, "elsewhere", "and another")
	_, _, wake := b.l.Watch([]byte("c0"))
	_, before, _ := b.l.Digest()

	damaged := bytes.Clone(snap.Bytes())
	damaged[len(damaged)/2] ^= 1
	if _, err := b.l.Restore(0, bytes.NewReader(damaged)); !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("damaged snapshot: %v, want ErrBadSnapshot", err)
	}
	if _, d, _ := b.l.Digest(); d != before {
		t.Fatal("a refused snapshot changed the state")
	}

	if got, err := b.l.Restore(0, bytes.NewReader(snap.Bytes())); err != nil || got != 800 {
		t.Fatalf("restore: %d, %v", got, err)
	}
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("a reader waiting on a channel was not woken by the restore")
	}
	sameDigest := func(want uint64) {
		t.Helper()
		ia, da, _ := a.l.Digest()
		ib, db, err := b.l.Digest()
		if err != nil || ia != want || ib != want || da != db {
			t.Fatalf("digests: a %d %x, b %d %x (%v), want index %d", ia, da, ib, db, err, want)
		}
	}
	sameDigest(800)
	if _, ok := b.l.Meta([]byte("elsewhere")); ok {
		t.Fatal("a channel the snapshot does not have survived the restore")
	}
	ma, _ := a.l.Meta([]byte("c1"))
	mb, _ := b.l.Meta([]byte("c1"))
	if ma != mb {
		t.Fatalf("metadata after restore: %+v, leader %+v", mb, ma)
	}

	// The same requests go on from there, at the leader's indices and stamps.
	var led []*Request
	var more []detWrite
	for step := 800; step < 1100; step++ {
		w := randomWrite(rng, step)
		led, more = append(led, a.apply(t, w)), append(more, w)
	}
	got := b.replicate(t, led, more, nil, -1)
	for i, r := range led {
		if want := resultText(r.op(0)); got[i] != want {
			t.Fatalf("index %d after the restore: %s, leader %s", r.Index, got[i], want)
		}
	}
	sameDigest(1100)
	mustClose(t, b.l)
	b.l = openMem(t, fs, func(o *Options) { o.NowMs = func() int64 { return 1 } })
	defer b.l.Close()
	sameDigest(1100)
	_ = history
	_ = ops
}

// TestRestoreSurvivesACrash: once Restore returned, the restored state is
// on disk: a crash right after it (nothing unsynced kept) reopens to the
// snapshot's digest and applied index, and nothing of what it replaced.
func TestRestoreSurvivesACrash(t *testing.T) {
	a := newDetLog(t, nil)
	rng := rand.New(rand.NewPCG(6, 6))
	for step := range 300 {
		a.apply(t, randomWrite(rng, step))
	}
	var snap bytes.Buffer
	if _, err := a.l.Snapshot(0, &snap); err != nil {
		t.Fatal(err)
	}
	_, want, _ := a.l.Digest()
	fs := vfs.NewCrashableMem()
	clock := func(o *Options) { o.NowMs = func() int64 { return 1 } }
	b := openMem(t, fs, clock)
	defer b.Close()
	publish(t, b, "replaced", "x")
	if _, err := b.Restore(0, &snap); err != nil {
		t.Fatal(err)
	}
	crashed := openMem(t, fs.CrashClone(vfs.CrashCloneCfg{}), clock)
	defer crashed.Close()
	if i, d, err := crashed.Digest(); err != nil || i != 300 || d != want {
		t.Fatalf("after a crash: index %d, digest %x (%v); want 300, %x", i, d, err, want)
	}
	if _, ok := crashed.Meta([]byte("replaced")); ok {
		t.Fatal("a channel the restore replaced came back after a crash")
	}
}
