package broker

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// openReplica opens a broker whose timers never propose anything on their
// own (in a cluster they would propose through the group's leader).
func openReplica(t *testing.T) *Broker {
	t.Helper()
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem(), RetentionInterval: time.Hour, RedeliveryInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// replicaCommand is a random command of any kind, its names and IDs drawn
// from small sets so that commands meet on the same channels, groups and
// entries.
func replicaCommand(rng *rand.Rand) Command {
	c := randomCommand(rng)
	if rng.IntN(3) == 0 {
		c.Kind = OpAppend
	}
	pick := func(prefix string, n int) []byte { return []byte(fmt.Sprintf("%s%d", prefix, rng.IntN(n))) }
	c.Channel, c.Group, c.Consumer = pick("ch", 3), pick("g", 2), pick("c", 3)
	small := func(id ID) ID { return ID{Ms: 1_764_633_600_000 + id.Ms%50, Seq: id.Seq % 3} }
	c.Spec.ID = small(c.Spec.ID)
	c.Trim.MinID, c.SetID.LastID, c.SetID.MaxDeletedID = small(c.Trim.MinID), small(c.SetID.LastID), small(c.SetID.MaxDeletedID)
	for i := range c.IDs {
		c.IDs[i] = small(c.IDs[i])
	}
	c.Trim.MaxLen, c.Trim.MaxBytes, c.Trim.Limit = c.Trim.MaxLen%40, c.Trim.MaxBytes%4000, c.Trim.Limit%100
	c.Count = c.Count % 12
	if c.Kind == OpAppend || len(c.Fields)%2 == 1 {
		c.Fields = [][]byte{MessageField, pick("m", 1000)}
	}
	if c.Kind == OpAppend && rng.IntN(4) != 0 { // mostly XADD * and PUBLISH: the log grows
		c.Spec, c.NoCreate, c.Trim = IDSpec{Auto: true}, false, Trim{}
	}
	c.NodeLimits = NodeLimits{MaxEntries: c.NodeLimits.MaxEntries % 8, MaxBytes: c.NodeLimits.MaxBytes % 4000}
	c.Retention.MaxLen, c.Retention.MaxBytes, c.Retention.MaxAgeMs = c.Retention.MaxLen%60, c.Retention.MaxBytes%8000, 0
	if c.Config != nil {
		c.Config.DeadLetter = "dlq"
		c.Config.AckWaitMs, c.Config.MaxDeliver, c.Config.MaxPending = c.Config.AckWaitMs%2000, c.Config.MaxDeliver%4, c.Config.MaxPending%20
		for i := range c.Config.BackoffMs {
			c.Config.BackoffMs[i] %= 2000
		}
	}
	if c.Claim != nil {
		c.Claim.MinIdleMs %= 3000
	}
	c.MaxPending %= 30
	return c
}

// TestStateMachineIsDeterministic: two brokers apply the same entries —
// batches of random commands of every kind, encoded by the codec, at the
// same indices and stamps (which sometimes go back, as under a new leader
// with a slower clock) — and give the same results and the same state
// digest; an entry applied again changes nothing.
func TestStateMachineIsDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			a, b := openReplica(t).StateMachine(), openReplica(t).StateMachine()
			rng := rand.New(rand.NewPCG(seed, 3))
			stamp := int64(1_764_633_600_000)
			var entries [][]byte
			succeeded := map[OpKind]int{}
			for index := uint64(1); index <= 600; index++ {
				stamp += rng.Int64N(300) - 20
				batch := Batch{TimeMs: stamp}
				for range 1 + rng.IntN(4) {
					batch.Commands = append(batch.Commands, replicaCommand(rng))
				}
				entry := EncodeBatch(nil, &batch)
				entries = append(entries, entry)
				ra, errA := a.ApplyBatch(index, entry)
				rb, errB := b.ApplyBatch(index, entry)
				if errA != nil || errB != nil {
					t.Fatalf("entry %d: %v, %v", index, errA, errB)
				}
				if ta, tb := resultsText(ra), resultsText(rb); ta != tb {
					t.Fatalf("entry %d: results differ\n a: %s\n b: %s", index, ta, tb)
				}
				for i, r := range ra {
					if r.Err == nil {
						succeeded[batch.Commands[i].Kind]++
					}
				}
				if rng.IntN(20) == 0 { // a replay of an applied entry
					old := uint64(1 + rng.IntN(int(index)))
					again, err := b.ApplyBatch(old, entries[old-1])
					if err != nil || len(again) == 0 || !errors.Is(again[0].Err, ErrApplied) {
						t.Fatalf("entry %d again: %v %v", old, again, err)
					}
				}
			}
			ia, da, errA := a.Digest()
			ib, db, errB := b.Digest()
			if errA != nil || errB != nil || ia != 600 || ib != 600 || da != db {
				t.Fatalf("digests: %d %x %v; %d %x %v", ia, da, errA, ib, db, errB)
			}
			// A third replica starts from a's snapshot and catches up the
			// same: it applies the last entries again (at or below the
			// snapshot's index: no change) and ends with the same digest.
			var snap bytes.Buffer
			at, err := a.Snapshot(&snap)
			if err != nil || at != 600 {
				t.Fatalf("snapshot at %d: %v", at, err)
			}
			c := openReplica(t).StateMachine()
			if got, err := c.Restore(&snap); err != nil || got != 600 {
				t.Fatalf("restore: %d %v", got, err)
			}
			if again, err := c.ApplyBatch(600, entries[599]); err != nil || !errors.Is(again[0].Err, ErrApplied) {
				t.Fatalf("the snapshot's last entry again: %v %v", again, err)
			}
			if ic, dc, err := c.Digest(); err != nil || ic != 600 || dc != da {
				t.Fatalf("restored replica: %d %x %v, want %x", ic, dc, err, da)
			}
			if len(succeeded) < int(maxOpKind)-4 || succeeded[OpAppend] < 100 {
				t.Fatalf("too few commands did anything: %v", succeeded)
			}
			t.Logf("commands that succeeded, by kind: %v", succeeded)
		})
	}
}

// resultsText renders results for comparison.
func resultsText(rs []Result) string {
	s := ""
	for _, r := range rs {
		s += fmt.Sprintf("%+v|", r)
	}
	return s
}

// TestApplyLeavesCommandsUnchanged: applying an entry changes none of its
// commands' inputs (claims and group reads included, whose results once
// shared their memory), and a replica applies the pending limit its entry
// carries, not its own: after the apply, every command still encodes to
// the bytes the entry held.
func TestApplyLeavesCommandsUnchanged(t *testing.T) {
	b := openReplica(t)
	rng := rand.New(rand.NewPCG(11, 12))
	stamp := int64(1_764_633_600_000)
	r := NewRequest()
	for index := uint64(1); index <= 400; index++ {
		stamp += rng.Int64N(300)
		r.Reset()
		var want [][]byte
		for range 1 + rng.IntN(4) {
			c := replicaCommand(rng)
			want = append(want, EncodeCommand(nil, &c))
			decoded, err := DecodeCommand(want[len(want)-1])
			if err != nil {
				t.Fatal(err)
			}
			*r.Add() = decoded
		}
		r.index, r.stampMs = index, stamp
		if err := b.Do(r); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if got := EncodeCommand(nil, r.Command(i)); !bytes.Equal(got, want[i]) {
				t.Fatalf("entry %d command %d (kind %d) changed by its apply:\n was %x\n now %x", index, i, r.Command(i).Kind, want[i], got)
			}
		}
	}
}
