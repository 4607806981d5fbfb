package wal

import "errors"

// Errors callers test for. Those that a Redis client can cause carry Redis's
// own wording (without the "ERR " prefix, which the front adds).
var (
	ErrIDTooSmall           = errors.New("The ID specified in XADD is equal or smaller than the target stream top item")
	ErrIDZero               = errors.New("The ID specified in XADD must be greater than 0-0")
	ErrIDExhausted          = errors.New("The stream has exhausted the last possible ID, unable to add more items")
	ErrSetIDTooSmall        = errors.New("The ID specified in XSETID is smaller than the target stream top item")
	ErrSetIDBelowMaxDeleted = errors.New("The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
	ErrSetIDEntriesAdded    = errors.New("The entries_added specified in XSETID is smaller than the target stream length")
	ErrSetIDBelowDeleted    = errors.New("The ID specified in XSETID is smaller than current max_deleted_entry_id")
	ErrNoSuchChannel        = errors.New("no such key")

	// ErrClosed is returned for work submitted after Close.
	ErrClosed = errors.New("rewind: log is closed")
	// ErrFailed is returned once a write or fsync has failed: the log stops
	// accepting writes (their outcome would be unknown) until it is reopened.
	ErrFailed = errors.New("rewind: log failed (a write or fsync error); refusing writes until restart")
	// ErrApplied is every command's error in a request whose index is at
	// or below the applied index: it was applied before (a replica
	// replaying its log after a restart), and changes nothing now.
	ErrApplied = errors.New("rewind: already applied")
	// ErrTooLarge is returned for an entry over Options.MaxEntryBytes.
	ErrTooLarge = errors.New("rewind: entry too large")
	// ErrCorrupt marks data on disk that fails validation.
	ErrCorrupt = errors.New("rewind: corrupt data")

	// The data directory cannot be used (see DirError, datadir.go).
	ErrDirInUse       = errors.New("rewind: data directory in use")
	ErrDirNotWritable = errors.New("rewind: data directory not writable")
	ErrDiskFull       = errors.New("rewind: disk full")

	// ErrOldLayout is a data directory of an older key layout opened
	// read-only: only a writable Open migrates it (layout.go).
	ErrOldLayout = errors.New("rewind: data directory of an older key layout")
)
