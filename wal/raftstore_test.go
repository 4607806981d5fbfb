package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/hashicorp/raft"
)

func raftEntries(from, to, term uint64) []*raft.Log {
	var out []*raft.Log
	for i := from; i <= to; i++ {
		out = append(out, &raft.Log{Index: i, Term: term, Type: raft.LogCommand, Data: []byte(fmt.Sprintf("e%d.%d", i, term)),
			AppendedAt: time.Unix(1_764_633_600, int64(i))})
	}
	return out
}

func mustRaftStore(t *testing.T, l *Log, group uint32) *RaftStore {
	t.Helper()
	s, err := l.RaftStore(group)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantRange(t *testing.T, s *RaftStore, first, last uint64) {
	t.Helper()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != first || l != last {
		t.Fatalf("first, last = %d, %d; want %d, %d", f, l, first, last)
	}
}

func wantTerm(t *testing.T, s *RaftStore, index, term uint64) {
	t.Helper()
	var lg raft.Log
	err := s.GetLog(index, &lg)
	switch {
	case term == 0 && !errors.Is(err, raft.ErrLogNotFound):
		t.Fatalf("entry %d: %v %+v, want ErrLogNotFound", index, err, lg)
	case term != 0 && (err != nil || lg.Term != term || lg.Index != index):
		t.Fatalf("entry %d: %+v %v, want term %d", index, lg, err, term)
	}
}

// TestRaftStoreContract: the store does what raft.LogStore and
// raft.StableStore promise — first and last index (0 when empty),
// ErrLogNotFound, every field of an entry back as stored, inclusive
// deletions of a prefix and of everything, stable values and their
// defaults — for two groups side by side, and all of it after a restart.
func TestRaftStoreContract(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, nil)
	s, other := mustRaftStore(t, l, 0), mustRaftStore(t, l, 1)
	wantRange(t, s, 0, 0)
	wantTerm(t, s, 1, 0)
	if err := s.StoreLogs(raftEntries(1, 10, 1)); err != nil {
		t.Fatal(err)
	}
	if err := other.StoreLog(&raft.Log{Index: 5, Term: 3, Type: raft.LogConfiguration, Data: []byte("cfg"), Extensions: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	var lg raft.Log
	if err := s.GetLog(7, &lg); err != nil || !reflect.DeepEqual(&lg, raftEntries(7, 7, 1)[0]) {
		t.Fatalf("entry 7: %+v %v", lg, err)
	}
	if err := s.DeleteRange(1, 3); err != nil {
		t.Fatal(err)
	}
	wantRange(t, s, 4, 10)
	wantTerm(t, s, 3, 0)
	wantTerm(t, s, 4, 1)
	for _, kv := range [][2]string{{"CurrentTerm", "\x00\x00\x00\x00\x00\x00\x00\x07"}, {"LastVoteCand", "n2"}} {
		if err := s.Set([]byte(kv[0]), []byte(kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetUint64([]byte("LastVoteTerm"), 6); err != nil {
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		s, other := mustRaftStore(t, l, 0), mustRaftStore(t, l, 1)
		wantRange(t, s, 4, 10)
		wantRange(t, other, 5, 5)
		var lg raft.Log
		if err := other.GetLog(5, &lg); err != nil || lg.Type != raft.LogConfiguration || string(lg.Data) != "cfg" || string(lg.Extensions) != "x" || !lg.AppendedAt.IsZero() {
			t.Fatalf("other group's entry: %+v %v", lg, err)
		}
		if v, err := s.Get([]byte("LastVoteCand")); err != nil || string(v) != "n2" {
			t.Fatalf("Get: %q %v", v, err)
		}
		if v, err := s.GetUint64([]byte("LastVoteTerm")); err != nil || v != 6 {
			t.Fatalf("GetUint64: %d %v", v, err)
		}
		if v, err := s.GetUint64([]byte("CurrentTerm")); err != nil || v != 7 {
			t.Fatalf("GetUint64 of a Set value: %d %v", v, err)
		}
		if v, err := other.Get([]byte("LastVoteCand")); err != nil || v == nil || len(v) != 0 {
			t.Fatalf("Get of a key never set: %q %v, want an empty slice", v, err)
		}
		if v, err := other.GetUint64([]byte("CurrentTerm")); err != nil || v != 0 {
			t.Fatalf("GetUint64 of a key never set: %d %v", v, err)
		}
	}
	check(l)
	mustClose(t, l)
	l = openMem(t, fs, nil)
	defer l.Close()
	check(l)
	s = mustRaftStore(t, l, 0)
	if err := s.DeleteRange(0, 100); err != nil { // everything, as after a restored snapshot
		t.Fatal(err)
	}
	wantRange(t, s, 0, 0)
	if err := s.StoreLogs(raftEntries(50, 52, 4)); err != nil {
		t.Fatal(err)
	}
	wantRange(t, s, 50, 52)
	wantRange(t, mustRaftStore(t, l, 0), 50, 52)
}

// TestRaftStoreConflictIsAtomic: a follower's deletion of a conflicting
// suffix and the append after it reach the disk in one synced batch. A
// crash after the deletion alone finds the old suffix (as if it had not
// happened, never a hole or a shorter log without the new entries); a
// crash after the append finds the new entries and none of the old suffix.
func TestRaftStoreConflictIsAtomic(t *testing.T) {
	fs := vfs.NewCrashableMem()
	l := openMem(t, fs, nil)
	defer l.Close()
	s := mustRaftStore(t, l, 0)
	if err := s.StoreLogs(raftEntries(1, 10, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(6, 10); err != nil {
		t.Fatal(err)
	}
	wantRange(t, s, 1, 5)
	wantTerm(t, s, 6, 0)
	between := openMem(t, fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rand.New(rand.NewPCG(1, 1))}), nil)
	sb := mustRaftStore(t, between, 0)
	wantRange(t, sb, 1, 10)
	wantTerm(t, sb, 8, 1)
	mustClose(t, between)

	if err := s.StoreLogs(raftEntries(6, 8, 2)); err != nil {
		t.Fatal(err)
	}
	wantRange(t, s, 1, 8)
	after := openMem(t, fs.CrashClone(vfs.CrashCloneCfg{}), nil)
	defer after.Close()
	sa := mustRaftStore(t, after, 0)
	wantRange(t, sa, 1, 8)
	wantTerm(t, sa, 5, 1)
	wantTerm(t, sa, 6, 2)
	wantTerm(t, sa, 8, 2)
	wantTerm(t, sa, 9, 0)
	wantTerm(t, sa, 10, 0)
}

// TestRaftStoreLeavesTheStateDigest: Raft's records are the node's own,
// outside the replicated state.
func TestRaftStoreLeavesTheStateDigest(t *testing.T) {
	clock := func(o *Options) { o.NowMs = func() int64 { return 1_764_633_600_000 } }
	l := openMem(t, vfs.NewMem(), clock)
	defer l.Close()
	publish(t, l, "a", "1")
	_, before, _ := l.Digest()
	s := mustRaftStore(t, l, 0)
	if err := s.StoreLogs(raftEntries(1, 3, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 1); err != nil {
		t.Fatal(err)
	}
	publish(t, l, "a", "2")
	other := openMem(t, vfs.NewMem(), clock)
	defer other.Close()
	publish(t, other, "a", "1")
	publish(t, other, "a", "2")
	_, d, _ := l.Digest()
	_, od, _ := other.Digest()
	if d == before || d != od {
		t.Fatalf("digest %x, before %x, without raft records %x", d, before, od)
	}
}

// TestRaftStoreUnderRaft: a real single-node hashicorp/raft, its log and
// stable store here behind raft.LogCache, elects itself, applies entries
// and, restarted on the same directory, has them all and its term.
func TestRaftStoreUnderRaft(t *testing.T) {
	fs := vfs.NewMem()
	start := func(bootstrap bool) (*raft.Raft, *Log, *countFSM) {
		l := openMem(t, fs, nil)
		s := mustRaftStore(t, l, 0)
		cache, err := raft.NewLogCache(64, s)
		if err != nil {
			t.Fatal(err)
		}
		cfg := raft.DefaultConfig()
		cfg.LocalID = "n1"
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond
		cfg.LogOutput = io.Discard
		_, trans := raft.NewInmemTransport("n1")
		fsm := &countFSM{}
		r, err := raft.NewRaft(cfg, fsm, cache, s, raft.NewInmemSnapshotStore(), trans)
		if err != nil {
			t.Fatal(err)
		}
		if bootstrap {
			if err := r.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{ID: "n1", Address: trans.LocalAddr()}}}).Error(); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-r.LeaderCh():
		case <-time.After(10 * time.Second):
			t.Fatal("no leader")
		}
		return r, l, fsm
	}
	r, l, fsm := start(true)
	for i := range 100 {
		if err := r.Apply([]byte(fmt.Sprint(i)), 5*time.Second).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if fsm.n.Load() != 100 {
		t.Fatalf("applied %d", fsm.n.Load())
	}
	last := r.LastIndex()
	if err := r.Shutdown().Error(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, l)
	r, l, fsm = start(false) // no snapshot: the restart replays the whole log
	defer l.Close()
	defer r.Shutdown()
	if err := r.Barrier(5 * time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	if fsm.n.Load() != 100 || r.LastIndex() <= last {
		t.Fatalf("after a restart: applied %d, last index %d (was %d)", fsm.n.Load(), r.LastIndex(), last)
	}
}

// countFSM counts the commands applied.
type countFSM struct{ n atomic.Int64 }

func (f *countFSM) Apply(*raft.Log) any { f.n.Add(1); return nil }

func (f *countFSM) Snapshot() (raft.FSMSnapshot, error) { return nil, errors.New("no snapshots") }

func (f *countFSM) Restore(io.ReadCloser) error { return errors.New("no snapshots") }

// FuzzDecodeRaftLog: decoding never panics, and what it accepts encodes
// back to the same bytes.
func FuzzDecodeRaftLog(f *testing.F) {
	for _, lg := range raftEntries(1, 3, 2) {
		f.Add(encodeRaftLog(nil, lg))
	}
	f.Add(encodeRaftLog(nil, &raft.Log{Type: raft.LogConfiguration, Extensions: []byte("ext")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var lg raft.Log
		if err := decodeRaftLog(data, 9, &lg); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%x: %v", data, err)
			}
			return
		}
		if enc := encodeRaftLog(nil, &lg); !bytes.Equal(enc, data) {
			t.Fatalf("%x decoded to %+v, encodes to %x", data, lg, enc)
		}
	})
}
