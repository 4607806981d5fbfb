// Package node runs the processes under test: real `rewind serve`
// processes built from this checkout, each on its own loopback port with
// its own data directory. A Node is the seam the cluster harness will reuse
// to start N of them and to add network faults.
package node

import (
	"context"
	"errors"
	"time"
)

// Mode is how a node's next life runs.
type Mode struct {
	// PowerLoss runs the node on the crashable in-memory filesystem
	// (serve --unsafe-powerloss-fs) so that PowerLoss can cut it. A kill -9
	// in this mode would lose everything since the start, so nemeses kill
	// only nodes not in this mode.
	PowerLoss bool
	// UnsafeNoSync acknowledges writes before fsync (to prove the checker
	// catches the loss).
	UnsafeNoSync bool
}

// Node is one server process under test.
type Node interface {
	Name() string
	Addr() string    // host:port of the Redis protocol
	DataDir() string // its files
	Mode() Mode      // of the current (or last) life

	// Start starts the process and waits until it answers PING.
	Start(ctx context.Context, mode Mode) error
	// Stop asks the process to shut down (SIGTERM) and waits.
	Stop() error
	// Kill kills the process (SIGKILL) and waits.
	Kill() error
	// Pause stops the process (SIGSTOP); Resume continues it (SIGCONT).
	Pause() error
	Resume() error
	// PowerLoss cuts the power of a node started with Mode.PowerLoss: it
	// keeps only what was fsync'd, and exits.
	PowerLoss() error
	// SetDiskFault sets the disk fault rule (see cmd/rewind/faultfs.go):
	// "off", "sync-error", "sync-stall ms=200", "write-enospc", ...
	SetDiskFault(rule string) error
	// Running reports whether the process is alive (paused counts).
	Running() bool
	// Exited is closed when the current life ends.
	Exited() <-chan struct{}
	// LastExit describes how the last life ended.
	LastExit() string
	// LogTail returns the end of the process's log.
	LogTail() string
	// Close kills the process if it runs and releases the node.
	Close() error
}

// ErrNotRunning is returned for signals to a node that is not running.
var ErrNotRunning = errors.New("node: not running")

// StartTimeout bounds how long a start may take (PING answered).
const StartTimeout = 60 * time.Second
