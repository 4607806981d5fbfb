package wal

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Key layout (version 2; layout.go migrates version 1, which had no
// prefix before the kind).
//
// A replication group is a set of channels whose state one Raft group will
// replicate in a cluster (a slot range of channels); it is unrelated to a
// consumer group. To keep the two apart, the code calls a replication group
// a shard, and the keys of one its span. A single node is shard 0.
//
// Every replicated key (everything that Apply writes and a replica must
// hold identically) starts with 's' and the shard number (4 bytes BE: a
// group number is not to be reused after splits and merges, so 16 bits
// could run out over a cluster's life; the 5 bytes cost little, as a
// table stores a shared prefix once per restart point), then a kind byte
// and '/':
//
//	s<shard>n/<name>                              -> channel id (8 bytes BE)
//	s<shard>m/<cid>                               -> channel metadata (encodeMeta)
//	s<shard>e/<cid><ms><seq>                      -> entry value (encodeEntry)
//	s<shard>o/<cid><ms><seq>                      -> stream node marker (nodes.go)
//	s<shard>g/<cid><group name>                   -> consumer group (group.go)
//	s<shard>k/<cid><gid><consumer name>           -> consumer
//	s<shard>p/<cid><gid><ms><seq>                 -> pending entry
//	s<shard>d/<cid><gid><ms><seq>                 -> delivery run (runs.go)
//	s<shard>r/<name len><name><channel>           -> subscriber cursor (cursor.go)
//	s<shard>q/<name len><name><pattern len>...    -> pattern cursors
//	s<shard>x/next-cid                            -> the next channel id to assign (8 bytes BE)
//	s<shard>x/nodes                               -> stream node limits (nodes.go)
//
// (cid, gid, ms and seq are 8 bytes BE; the settings x/ sort after the
// entries, with the other small records read at Open.) A shard's whole
// state is therefore the one span ShardSpan returns, which a replica can
// snapshot, stream and ingest; channel ids are allocated per shard
// (x/next-cid), inside it.
//
// Keys of this node only (never replicated, left out of any comparison of
// replicas) start with 'z', which sorts after every shard (as the commit
// counter sorted after the entries before shards; the first blocks of a
// table hold entries, not records Open must read):
//
//	zh/                                           -> commit counter ranges (highwater.go)
//	zv/                                           -> key layout version (layout.go)
//	zc/<shard><cid>                               -> a channel's metadata at the last clean close
//	zr/<group><index BE>                          -> Raft log entry (raftstore.go)
//	zs/<group><key>                               -> Raft stable store value
//	s<shard>x/applied                             -> (replicated) applied index, state clock
//
// One channel's entries are contiguous and in ID order, so reads are bounded
// iterators and trims are range deletions.
const (
	prefixShard = 's'
	prefixLocal = 'z'

	// shardPrefixLen is the length of 's' and the shard number.
	shardPrefixLen = 1 + 4
	// keyHeadLen is the length of a replicated key's shard prefix, kind
	// and '/': what comes after it is the old layout's key body.
	keyHeadLen = shardPrefixLen + 2

	prefixName     = 'n'
	prefixMeta     = 'm'
	prefixEntry    = 'e'
	prefixSettings = 'x'

	entryKeyLen = keyHeadLen + 8 + 8 + 8
	// groupIDKeyLen is the length of a pending entry's or a run's key.
	groupIDKeyLen = keyHeadLen + 8 + 8 + 8 + 8

	// entryAccountedKeyLen is what Meta.Bytes counts for an entry's key:
	// its length without the shard prefix (the layout before shards), so
	// that MAXBYTES retention and the reported sizes keep their meaning,
	// and metadata written before the prefix stays exact.
	entryAccountedKeyLen = entryKeyLen - shardPrefixLen
)

// singleNodeShard is the shard of a node that is not in a cluster.
const singleNodeShard uint32 = 0

// entrySize is what Meta.Bytes counts for an entry whose encoded value is
// valueLen bytes long.
func entrySize(valueLen int) uint64 { return uint64(entryAccountedKeyLen + valueLen) }

// ShardSpan returns [lower, upper) covering every key of shard's
// replicated state.
func ShardSpan(shard uint32) (lower, upper []byte) {
	lower = shardPrefix(nil, shard)
	if shard == ^uint32(0) {
		return lower, []byte{prefixShard + 1}
	}
	return lower, shardPrefix(nil, shard+1)
}

// LocalSpan returns [lower, upper) covering every node-local key.
func LocalSpan() (lower, upper []byte) {
	return []byte{prefixLocal}, []byte{prefixLocal + 1}
}

func shardPrefix(dst []byte, shard uint32) []byte {
	return binary.BigEndian.AppendUint32(append(dst[:0], prefixShard), shard)
}

// kindPrefix starts dst with the key head of kind in shard.
func kindPrefix(dst []byte, shard uint32, kind byte) []byte {
	return append(shardPrefix(dst, shard), kind, '/')
}

// localKey is the node-local key of kind.
func localKey(kind byte) []byte { return []byte{prefixLocal, kind, '/'} }

// settingKey is the key of the replicated setting name of shard.
func settingKey(dst []byte, shard uint32, name string) []byte {
	return append(kindPrefix(dst, shard, prefixSettings), name...)
}

// nextCIDKey holds the next channel id (cid) to assign in shard. Channel
// ids are never reused: a cid names one incarnation of a channel.
func nextCIDKey(dst []byte, shard uint32) []byte { return settingKey(dst, shard, "next-cid") }

// appliedKey holds the index of the last request applied to shard and its
// state clock (8 + 8 bytes BE), written in every batch that applies one.
func appliedKey(dst []byte, shard uint32) []byte { return settingKey(dst, shard, "applied") }

// Kinds of node-local keys besides the commit counter (h) and the layout
// version (v).
const (
	localClosedMeta = 'c' // a channel's metadata at the last clean close
	localRaftLog    = 'r' // Raft's log (raftstore.go)
	localRaftStable = 's' // Raft's stable store
)

// closedMetaKey holds a channel's metadata as of the last clean close
// (checkpointMeta): node-local, read and removed by the next Open.
func closedMetaKey(dst []byte, shard uint32, cid uint64) []byte {
	dst = binary.BigEndian.AppendUint32(append(dst[:0], localKey(localClosedMeta)...), shard)
	return binary.BigEndian.AppendUint64(dst, cid)
}

// nodeLimitsKey holds the stream node limits in force (OpSetNodeLimits).
func nodeLimitsKey(dst []byte, shard uint32) []byte { return settingKey(dst, shard, "nodes") }

func nameKey(dst []byte, shard uint32, name []byte) []byte {
	return append(kindPrefix(dst, shard, prefixName), name...)
}

// keyBody returns what follows k's key head (shard, kind, '/'), and false
// if k is too short to have one.
func keyBody(k []byte) ([]byte, bool) {
	if len(k) < keyHeadLen {
		return nil, false
	}
	return k[keyHeadLen:], true
}

func metaKey(dst []byte, shard uint32, cid uint64) []byte {
	return channelPrefixTo(dst, prefixMeta, shard, cid)
}

func entryKey(dst []byte, shard uint32, cid uint64, id ID) []byte {
	return appendID(channelPrefixTo(dst, prefixEntry, shard, cid), id)
}

func appendID(dst []byte, id ID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

// channelEntryBounds returns [lower, upper) covering every entry of cid.
func channelEntryBounds(shard uint32, cid uint64) (lower, upper []byte) {
	return channelPrefix(prefixEntry, shard, cid), channelEntryUpper(nil, shard, cid)
}

// channelEntryUpper builds in dst the upper bound of cid's entries.
func channelEntryUpper(dst []byte, shard uint32, cid uint64) []byte {
	return channelPrefixTo(dst, prefixEntry, shard, cid+1)
}

func decodeEntryKey(k []byte) (cid uint64, id ID, err error) {
	if len(k) != entryKeyLen || k[0] != prefixShard || k[keyHeadLen-2] != prefixEntry || k[keyHeadLen-1] != '/' {
		return 0, ID{}, fmt.Errorf("%w: entry key %x", ErrCorrupt, k)
	}
	body := k[keyHeadLen:]
	cid = binary.BigEndian.Uint64(body)
	id.Ms = binary.BigEndian.Uint64(body[8:])
	id.Seq = binary.BigEndian.Uint64(body[16:])
	return cid, id, nil
}

func nodeKey(dst []byte, shard uint32, cid uint64, id ID) []byte {
	return appendID(channelPrefixTo(dst, prefixNode, shard, cid), id)
}

// decodeNodeKey returns the start of the node whose marker key is k.
func decodeNodeKey(k []byte) (ID, bool) {
	if len(k) != entryKeyLen {
		return ID{}, false
	}
	body := k[keyHeadLen+8:]
	return ID{Ms: binary.BigEndian.Uint64(body), Seq: binary.BigEndian.Uint64(body[8:])}, true
}

func groupKey(dst []byte, shard uint32, cid uint64, name []byte) []byte {
	return append(channelPrefixTo(dst, prefixGroup, shard, cid), name...)
}

// decodeGroupKey is the inverse of groupKey.
func decodeGroupKey(k []byte) (cid uint64, name []byte, ok bool) {
	body, ok := keyBody(k)
	if !ok || len(body) < 8 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint64(body), body[8:], true
}

func consumerKey(dst []byte, shard uint32, cid, gid uint64, name string) []byte {
	return append(groupPrefixTo(dst, prefixConsumer, shard, cid, gid), name...)
}

// decodeGroupOf returns the channel and group ids that start the body of
// a consumer, pending entry or run key k, and what follows them.
func decodeGroupOf(k []byte) (cid, gid uint64, rest []byte, ok bool) {
	body, ok := keyBody(k)
	if !ok || len(body) < 16 {
		return 0, 0, nil, false
	}
	return binary.BigEndian.Uint64(body), binary.BigEndian.Uint64(body[8:]), body[16:], true
}

// decodeGroupIDKey returns the entry id of a pending entry or run key k,
// and false if k is not one.
func decodeGroupIDKey(k []byte) (ID, bool) {
	if len(k) != groupIDKeyLen {
		return ID{}, false
	}
	body := k[keyHeadLen+16:]
	return ID{Ms: binary.BigEndian.Uint64(body), Seq: binary.BigEndian.Uint64(body[8:])}, true
}

func pendingKey(dst []byte, shard uint32, cid, gid uint64, id ID) []byte {
	return appendID(groupPrefixTo(dst, prefixPending, shard, cid, gid), id)
}

func runKey(dst []byte, shard uint32, cid, gid uint64, first ID) []byte {
	return appendID(groupPrefixTo(dst, prefixRun, shard, cid, gid), first)
}

func cursorKey(dst []byte, shard uint32, name, channel []byte) []byte {
	dst = kindPrefix(dst, shard, prefixCursor)
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	return append(dst, channel...)
}

func patternCursorPrefix(dst []byte, shard uint32, name, pattern []byte) []byte {
	dst = kindPrefix(dst, shard, prefixPatternCursor)
	dst = binary.AppendUvarint(dst, uint64(len(name)))
	dst = append(dst, name...)
	dst = binary.AppendUvarint(dst, uint64(len(pattern)))
	return append(dst, pattern...)
}

// prefixBounds returns [lower, upper) of every key starting with prefix.
func prefixBounds(prefix []byte) (lower, upper []byte) {
	lower = bytes.Clone(prefix)
	upper = bytes.Clone(prefix)
	for i := len(upper) - 1; i >= 0; i-- {
		if upper[i] < 0xff {
			upper[i]++
			return lower, upper[:i+1]
		}
	}
	return lower, nil
}

// channelPrefix is the prefix of every key of kind for channel cid.
func channelPrefix(kind byte, shard uint32, cid uint64) []byte {
	return channelPrefixTo(nil, kind, shard, cid)
}

func channelPrefixTo(dst []byte, kind byte, shard uint32, cid uint64) []byte {
	return binary.BigEndian.AppendUint64(kindPrefix(dst, shard, kind), cid)
}

// groupPrefix is the prefix of every key of kind for group gid of cid.
func groupPrefix(kind byte, shard uint32, cid, gid uint64) []byte {
	return groupPrefixTo(nil, kind, shard, cid, gid)
}

func groupPrefixTo(dst []byte, kind byte, shard uint32, cid, gid uint64) []byte {
	return binary.BigEndian.AppendUint64(channelPrefixTo(dst, kind, shard, cid), gid)
}
