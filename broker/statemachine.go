package broker

import (
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/rewind-mq/rewind/replication"
	"github.com/rewind-mq/rewind/wal"
)

var _ replication.StateMachine = (*StateMachine)(nil)

// StateMachine is the node's state as replication drives it: entries
// (encoded Batches) applied in index order, each at the index and with the
// stamp a leader gave it. Applying the same entries gives the same results
// and the same stored state (Digest) on every node, whatever its clock and
// however its writer groups entries into batches; an entry at or below the
// applied index changes nothing (ErrApplied). See DESIGN.md, "the state
// machine's contract".
//
// A single node does not go through it: its writer assigns indices and
// stamps itself (Broker.Submit). Both paths apply the same way.
type StateMachine struct{ b *Broker }

// StateMachine returns the node's state machine.
func (b *Broker) StateMachine() *StateMachine { return &StateMachine{b: b} }

// ErrApplied is the error of every command of an entry applied before.
var ErrApplied = wal.ErrApplied

// Apply is ApplyBatch for replication (its results as an any).
func (sm *StateMachine) Apply(index uint64, entry []byte) (any, error) {
	return sm.ApplyBatch(index, entry)
}

// ApplyBatch applies entry, an encoded Batch, at index, stamped with the
// batch's time, and returns its commands' results once the entry is
// durable and fanned out. Entries must be applied in increasing index
// order (gaps are allowed: Raft's own entries never reach the state
// machine).
func (sm *StateMachine) ApplyBatch(index uint64, entry []byte) ([]Result, error) {
	if index == 0 {
		return nil, fmt.Errorf("broker: state machine entry without an index")
	}
	batch, err := DecodeBatch(entry)
	if err != nil {
		return nil, err
	}
	r := NewRequest()
	for i := range batch.Commands {
		*r.Add() = batch.Commands[i]
	}
	r.index, r.stampMs = index, batch.TimeMs
	if err := sm.b.Do(r); err != nil {
		return nil, err
	}
	out := make([]Result, r.Len())
	for i := range out {
		out[i] = *r.Result(i)
	}
	return out, nil
}

// Snapshot writes the node's shard as of the last durable batch to w and
// returns the applied index it is at.
func (sm *StateMachine) Snapshot(w io.Writer) (uint64, error) { return sm.b.log.Snapshot(0, w) }

// Restore replaces the node's shard with a snapshot's, atomically, and
// returns the applied index the snapshot is at. Subscribers are not told
// what changed: a replica that restores serves no subscribers of the
// shard yet (issue 13 decides how they resume).
func (sm *StateMachine) Restore(r io.Reader) (uint64, error) { return sm.b.log.Restore(0, r) }

// Applied returns the index of the last entry applied and durable.
func (sm *StateMachine) Applied() uint64 { return sm.b.log.Applied() }

// Digest returns the applied index and a SHA-256 of the replicated state
// at it (the node's own records left out): equal on replicas that applied
// the same entries.
func (sm *StateMachine) Digest() (uint64, [sha256.Size]byte, error) { return sm.b.log.Digest() }
