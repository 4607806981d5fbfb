// Package replication will run a node's shards as Raft groups
// (hashicorp/raft): slots to shards, the multiplexed peer transport,
// membership, leader forwarding. What it needs from the node is only the
// state machine below, which broker hands it; replication never imports
// broker.
package replication

import "io"

// StateMachine is one shard's replicated state, as a Raft group's FSM
// drives it. Every replica applies the same committed entries in index
// order and ends with the same state (DESIGN.md, "the state machine's
// contract").
type StateMachine interface {
	// Apply applies entry, an encoded batch of commands with its leader's
	// stamp, at index, once it is durable; what it returns goes back to
	// whoever proposed the entry. An entry at or below Applied changes
	// nothing.
	Apply(index uint64, entry []byte) (any, error)
	// Applied is the index of the last entry applied and durable.
	Applied() uint64
	// Snapshot writes the shard's state as of one applied index, and
	// returns that index.
	Snapshot(w io.Writer) (uint64, error)
	// Restore replaces the shard's state with a snapshot's, atomically,
	// and returns the index the snapshot is at.
	Restore(r io.Reader) (uint64, error)
}
