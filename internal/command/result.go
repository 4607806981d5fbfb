package command

// Result is the outcome of one Command, as plain values. Which fields a
// kind sets is said at its OpKind; the rest stay zero. Slices are new
// memory of the writer's or the caller's own (Command.IDs, the Entries
// buffer): they stay valid after the Request is reset.
type Result struct {
	// Err is why the command did nothing (a catalog error: ErrNoGroup,
	// ErrIDTooSmall, ...), or the storage failure that stopped the batch.
	Err error

	// ID is the ID OpAppend assigned; OpGroupRead and OpClaimIdle: the
	// first new entry delivered.
	ID ID
	// Incarnation is OpAppend's channel incarnation (Meta.Incarnation):
	// IDs increase within one incarnation only.
	Incarnation uint64
	// LastID is the last new entry a group read delivered (deliveries are
	// contiguous in the log).
	LastID ID
	// N counts what the command did: entries appended and trimmed,
	// deleted, acknowledged, claimed or read; 1 if OpDrop removed a
	// channel, OpGroupDestroy a group; a deleted consumer's pending entries.
	N int64
	// Skipped: NoCreate and the channel did not exist.
	Skipped bool
	// Receivers is how many subscribers an append was handed to.
	Receivers int
	// Created: OpAppend or OpGroupCreate (MkStream) created the channel.
	Created bool
	// ConsumerCreated: the group read, claim or OpConsumerCreate created
	// the consumer; ConsumerDeleted: OpConsumerDelete deleted one.
	ConsumerCreated bool
	ConsumerDeleted bool
	// HeldBack: a group read left new entries undelivered because the
	// group holds its limit of pending entries (MAXPENDING).
	HeldBack bool

	// IDs: the entries OpClaim and OpAutoClaim claimed, OpGroupHistory
	// read, and OpGroupRead and OpClaimIdle redelivered (before the new
	// entries).
	IDs []ID
	// Codes are OpAckDel's and OpDeleteEx's per-ID outcomes (CodeNotFound,
	// CodeDeleted, CodeReferenced), in the order of Command.IDs.
	Codes []int8
	// Entries are the new entries a group read delivered, when the
	// command asked for them (WantEntries). A front may set it to an empty
	// buffer before the request is submitted; the entries are appended to
	// it.
	Entries Delivered

	// Next is where OpAutoClaim's next call starts (0-0: the scan is
	// done); Deleted the pending entries it dropped because they were no
	// longer in the channel.
	Next    ID
	Deleted []ID
	// Claimed are the entries OpClaimIdle took over, idlest first.
	Claimed []ClaimedEntry
	// WakeMs (OpClaimIdle) is when the next pending entry that was not
	// claimed becomes idle enough, or 0 when none is pending: a blocked
	// reader waits until then at most.
	WakeMs int64

	// Due (OpRedeliveryScan) are the channels with pending entries due for
	// redelivery, whose blocked readers the node wakes; DeadLettered the
	// entries the scan moved to dead-letter channels, in the order it
	// appended them.
	Due          [][]byte
	DeadLettered []DeadLettered
}

// Per-ID outcomes of OpAckDel and OpDeleteEx (Result.Codes), as Redis
// replies them.
const (
	CodeNotFound   int8 = -1 // no such entry (OpDeleteEx) or not pending in the group (OpAckDel)
	CodeDeleted    int8 = 1  // deleted from the channel
	CodeReferenced int8 = 2  // not deleted: some group still needs it (ACKED)
)

// ClaimedEntry is one entry XREADGROUP ... CLAIM took over, with what
// Redis reports of it: the time since its previous delivery and how many
// times it had been delivered before this one.
type ClaimedEntry struct {
	ID     ID
	IdleMs int64
	Count  int64
}

// Delivered is the entries a group read delivered (Command.WantEntries),
// copied from the log as the writer read them, back to back: for each, its
// ID (16 bytes) and its stored value (uvarint length, bytes). The storage
// layer that wrote them reads them back (wal.EachDelivered; broker's
// EachDelivered for fronts).
type Delivered []byte

// DeadLettered is one entry a redelivery scan moved to its group's
// dead-letter channel: the channel it was appended to, its new ID there,
// and its fields.
type DeadLettered struct {
	Channel []byte
	ID      ID
	Fields  [][]byte
}
