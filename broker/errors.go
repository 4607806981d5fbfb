package broker

import (
	"errors"
	"strconv"

	"github.com/rewind-mq/rewind/wal"
)

// The error catalog. Every error a front may have to report to a client is
// here once: a stable code for the native protocol (never reused or
// renamed; the wording may change) and the reply a Redis client gets,
// Redis's own wording where Redis has the error. A catalogued error is a
// sentinel callers test with errors.Is; the storage layer's sentinels
// (wal) match their catalog entry too, so a front needs only Lookup.
// Errors whose Redis reply names arguments (keys, groups, limits) have a
// function that builds the reply from them.

// Error is a catalogued error.
type Error struct {
	Code  string // native protocol code
	Redis string // the whole RESP error reply, its prefix included
	cause error  // the storage layer's sentinel it reports, if any
}

func (e *Error) Error() string { return e.Redis }

// Is makes the storage layer's sentinel an instance of its entry.
func (e *Error) Is(target error) bool { return target == e.cause && e.cause != nil }

// The entries.
var (
	ErrBadID            = &Error{"bad-id", "ERR Invalid stream ID specified as stream command argument", nil}
	ErrBadStartInterval = &Error{"bad-start-id", "ERR invalid start ID for the interval", nil}
	ErrBadEndInterval   = &Error{"bad-end-id", "ERR invalid end ID for the interval", nil}
	ErrIDNotAboveTop    = &Error{"id-not-above-top", "ERR The ID specified in XADD is equal or smaller than the target stream top item", wal.ErrIDTooSmall}
	ErrIDIsZero         = &Error{"id-zero", "ERR The ID specified in XADD must be greater than 0-0", wal.ErrIDZero}
	ErrIDsExhausted     = &Error{"ids-exhausted", "ERR The stream has exhausted the last possible ID, unable to add more items", wal.ErrIDExhausted}
	ErrSetIDBelowTop    = &Error{"setid-below-top", "ERR The ID specified in XSETID is smaller than the target stream top item", wal.ErrSetIDTooSmall}
	ErrSetIDBelowMax    = &Error{"setid-below-max-deleted-arg", "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id", wal.ErrSetIDBelowMaxDeleted}
	ErrSetIDLength      = &Error{"setid-entries-added", "ERR The entries_added specified in XSETID is smaller than the target stream length", wal.ErrSetIDEntriesAdded}
	ErrSetIDBelowDel    = &Error{"setid-below-max-deleted", "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id", wal.ErrSetIDBelowDeleted}
	ErrNoSuchKey        = &Error{"no-such-key", "ERR no such key", wal.ErrNoSuchChannel}
	ErrBusyGroup        = &Error{"group-exists", "BUSYGROUP Consumer Group name already exists", wal.ErrGroupExists}
	ErrGroupNeedsStream = &Error{"group-needs-stream", "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.", wal.ErrNoStream}
	ErrShuttingDown     = &Error{"shutting-down", "ERR server is shutting down", wal.ErrClosed}

	// A blocked group read woke to find its stream, or its group, gone
	// (Redis 7's replies).
	ErrUnblockedNoKey   = &Error{"unblocked-no-key", "UNBLOCKED the stream key no longer exists", nil}
	ErrUnblockedNoGroup = &Error{"unblocked-no-group", "NOGROUP the consumer group this client was blocked on no longer exists", nil}
)

// catalog lists the entries Lookup finds.
var catalog = []*Error{
	ErrBadID, ErrBadStartInterval, ErrBadEndInterval, ErrIDNotAboveTop, ErrIDIsZero, ErrIDsExhausted,
	ErrSetIDBelowTop, ErrSetIDBelowMax, ErrSetIDLength, ErrSetIDBelowDel, ErrNoSuchKey, ErrBusyGroup,
	ErrGroupNeedsStream, ErrShuttingDown, ErrUnblockedNoKey, ErrUnblockedNoGroup,
}

// Lookup returns the catalog entry err is (or wraps), if any.
func Lookup(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	for _, e := range catalog {
		if e.cause != nil && errors.Is(err, e.cause) {
			return e, true
		}
	}
	return nil, false
}

// Replies built from arguments.

// TooLargeReply is the reply to a message over the size limit.
func TooLargeReply(maxMessageBytes int) string {
	return "ERR message too large (max " + strconv.Itoa(maxMessageBytes) + " bytes; see --max-message-bytes)"
}

// FailedReply is the reply to a write refused because the log failed.
func FailedReply(err error) string { return "MISCONF Errors writing to disk: " + err.Error() }

// NoGroupReply is the reply to a group command on a missing key or group
// (XACK, XCLAIM, XPENDING, ...).
func NoGroupReply(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

// NoGroupReadReply is XREADGROUP's reply for a missing key or group.
func NoGroupReadReply(key, group []byte) string {
	return NoGroupReply(key, group) + " in XREADGROUP with GROUP option"
}

// NoSuchGroupReply is the reply of XGROUP's and XINFO's subcommands to a
// missing group of an existing key.
func NoSuchGroupReply(key, group []byte) string {
	return "NOGROUP No such consumer group '" + string(group) + "' for key name '" + string(key) + "'"
}
