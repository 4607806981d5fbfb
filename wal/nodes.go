package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// Stream nodes. Redis keeps a stream as a radix tree of listpacks
// ("nodes"), and what users see depends on where one node ends and the
// next begins: an approximate trim ("~") removes whole nodes only. So
// rewind keeps the same boundaries, deterministically from the appends and
// two settings, Redis's stream-node-max-entries and stream-node-max-bytes
// (NodeLimits): Redis closes the newest node when it holds max-entries
// entries (deleted ones included), or when its listpack bytes plus the new
// entry's field and value lengths reach max-bytes (t_stream.c,
// streamAppendItem). The listpack's bytes are computed here from its
// encoding rules (listpack.c) without building it.
//
// A node is recorded by a marker key at its first entry ID (the listpack's
// master ID), written in the batch that appends that entry (the key after
// its shard's prefix: keys.go):
//
//	o/<cid BE><ms BE><seq BE>  -> empty while it is the newest node; once a
//	                              newer one starts, the node's last appended
//	                              ID (<ms BE><seq BE>)
//
// A node holds the entries from its marker to the next one. The newest node
// (TailNode, kept in the channel's Meta) also counts what it holds, for the
// next append's decision. Deleted entries keep their place in their node,
// as in Redis; a node whose entries are all gone counts as removed.
// Channels written before nodes were kept have no markers for their oldest
// entries: those are taken as nodes of 100 appends (the default), as
// before.

const prefixNode = 'o'

// NodeLimits are Redis's stream-node-max-entries and stream-node-max-bytes.

// DefaultNodeLimits are Redis's defaults.
var DefaultNodeLimits = NodeLimits{MaxEntries: 100, MaxBytes: 4096}

// maxListpackBytes is Redis's STREAM_LISTPACK_MAX_SIZE.
const maxListpackBytes = 1 << 30

// TailNode is a channel's newest node, the one the next append may go to.
// Start is zero when there is none (the next append starts one).
type TailNode struct {
	Start, Last ID
	Appended    uint64 // entries appended to it, deleted ones included
	Live        uint64 // of those, the ones not deleted
	BaseBytes   uint64 // its listpack's bytes, less the count and deleted-count elements
	// Fields are its master entry's field names, each as <uvarint
	// length><bytes> (a string, so that Meta stays comparable).
	Fields string
}

func (t *TailNode) open() bool { return !t.Start.IsZero() && t.Live > 0 }

// lpBytes is the node's listpack size in bytes, as lpBytes() reports it.
func (t *TailNode) lpBytes() uint64 {
	return t.BaseBytes + lpIntBytes(int64(t.Live)) + lpIntBytes(int64(t.Appended-t.Live))
}

// nodeAppend places entry id (with fields) in ch's node structure: in the
// newest node, or in a new one when that is full or gone, as Redis would.
// Called by the writer after the entry was written to b.
func (l *Log) nodeAppend(b *pendingBatch, ch *channel, id ID, fields [][]byte) {
	t := &ch.w.Tail
	if t.open() && l.nodeFull(t, fields) {
		l.closeNode(b, ch)
	}
	if !t.open() {
		*t = TailNode{Start: id, Fields: fieldNames(fields)}
		t.BaseBytes = masterBytes(t.Fields)
		b.setErr(b.pb.Set(nodeKey(l.w.keyBuf, l.shard, ch.cid, id), nil, nil))
	}
	t.BaseBytes += listpackEntryBytes(t, id, fields)
	t.Appended++
	t.Live++
	t.Last = id
}

// nodeFull reports whether Redis would start a new node for an entry with
// these fields.
func (l *Log) nodeFull(t *TailNode, fields [][]byte) bool {
	limits := l.w.nodeLimits
	maxBytes := uint64(limits.MaxBytes)
	if maxBytes == 0 || maxBytes > maxListpackBytes {
		maxBytes = maxListpackBytes
	}
	var elements uint64
	for _, f := range fields {
		elements += uint64(len(f))
	}
	if t.lpBytes()+elements >= maxBytes {
		return true
	}
	return limits.MaxEntries > 0 && t.Appended >= uint64(limits.MaxEntries)
}

// closeNode records the newest node's last appended ID in its marker: it is
// no longer the newest.
func (l *Log) closeNode(b *pendingBatch, ch *channel) {
	t := &ch.w.Tail
	var v [16]byte
	binary.BigEndian.PutUint64(v[:8], t.Last.Ms)
	binary.BigEndian.PutUint64(v[8:], t.Last.Seq)
	b.setErr(b.pb.Set(nodeKey(l.w.keyBuf, l.shard, ch.cid, t.Start), v[:], nil))
	if !ch.w.FirstID.Less(t.Start) {
		ch.firstNodeLive, ch.firstNodeKnown = t.Live, true // it was the only node
	}
	ch.w.Tail = TailNode{}
}

// entryRemoved accounts for the deletion of entry id of ch (XDEL, trims):
// it keeps its place in its node.
func (ch *channel) entryRemoved(id ID) {
	t := &ch.w.Tail
	if !t.Start.IsZero() && !id.Less(t.Start) {
		t.Live--
		return
	}
	ch.firstNodeKnown = false
}

// firstNodeLive returns how many entries the oldest node holds, if that is
// known without reading (the newest node, or what the last trim found).
func (ch *channel) oldestNodeLive() (uint64, bool) {
	m := &ch.w
	if m.Tail.open() && !m.FirstID.Less(m.Tail.Start) {
		return m.Tail.Live, true
	}
	return ch.firstNodeLive, ch.firstNodeKnown
}

// fieldNames encodes the names of fields (name, value, ...) as
// TailNode.Fields.
func fieldNames(fields [][]byte) string {
	var b []byte
	for i := 0; i < len(fields); i += 2 {
		b = binary.AppendUvarint(b, uint64(len(fields[i])))
		b = append(b, fields[i]...)
	}
	return string(b)
}

// nextName splits the first name off encoded names (fieldNames).
func nextName(names string) (name, rest string, ok bool) {
	n, w := binary.Uvarint([]byte(names[:min(len(names), binary.MaxVarintLen64)]))
	if w <= 0 || n > uint64(len(names)-w) {
		return "", "", false
	}
	return names[w : w+int(n)], names[w+int(n):], true
}

// masterBytes is the size of a new listpack holding only the master entry,
// less its count and deleted-count elements: header and terminator,
// num-fields, the field names, and the master terminator 0.
func masterBytes(names string) uint64 {
	n, count := uint64(6+1)+lpIntBytes(0), 0
	for name, rest, ok := nextName(names); ok; name, rest, ok = nextName(rest) {
		n += lpStringBytes([]byte(name))
		count++
	}
	return n + lpIntBytes(int64(count))
}

// listpackEntryBytes is the size of an entry appended to node t: flags, ms-diff,
// seq-diff, [num-fields, field names,] values, lp-count.
func listpackEntryBytes(t *TailNode, id ID, fields [][]byte) uint64 {
	numFields := len(fields) / 2
	same, names := true, t.Fields
	for i := 0; same && i < numFields; i++ {
		var name string
		name, names, same = nextName(names)
		same = same && name == string(fields[2*i])
	}
	same = same && names == ""
	n := lpIntBytes(0) + lpIntBytes(int64(id.Ms-t.Start.Ms)) + lpIntBytes(int64(id.Seq-t.Start.Seq))
	lpCount := numFields + 3
	if !same {
		n += lpIntBytes(int64(numFields))
		lpCount += numFields + 1
	}
	for i := 0; i < len(fields); i += 2 {
		if !same {
			n += lpStringBytes(fields[i])
		}
		n += lpStringBytes(fields[i+1])
	}
	return n + lpIntBytes(int64(lpCount))
}

// lpIntBytes is the size of an integer element of a listpack: its encoding
// and its back-length.
func lpIntBytes(v int64) uint64 {
	var enc uint64
	switch {
	case v >= 0 && v <= 127:
		enc = 1
	case v >= -4096 && v <= 4095:
		enc = 2
	case v >= -32768 && v <= 32767:
		enc = 3
	case v >= -8388608 && v <= 8388607:
		enc = 4
	case v >= -2147483648 && v <= 2147483647:
		enc = 5
	default:
		enc = 9
	}
	return enc + lpBacklenBytes(enc)
}

// lpStringBytes is the size of a string element: a listpack stores a
// string that is a canonical integer as that integer.
func lpStringBytes(s []byte) uint64 {
	if v, ok := lpInteger(s); ok {
		return lpIntBytes(v)
	}
	n := uint64(len(s))
	var enc uint64
	switch {
	case n < 64:
		enc = 1 + n
	case n < 4096:
		enc = 2 + n
	default:
		enc = 5 + n
	}
	return enc + lpBacklenBytes(enc)
}

// lpInteger parses s as listpack's lpStringToInt64 does: decimal, an
// optional '-', no leading zeros, no '+', at most 20 bytes.
func lpInteger(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	digits := s
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	return v, err == nil
}

func lpBacklenBytes(enc uint64) uint64 {
	switch {
	case enc <= 127:
		return 1
	case enc < 16383:
		return 2
	case enc < 2097151:
		return 3
	case enc < 268435455:
		return 4
	}
	return 5
}

// nodeWalk visits a channel's nodes from the oldest, with how many entries
// each holds, over an indexed batch.
type nodeWalk struct {
	ch      *channel
	entries *pebble.Iterator // the channel's entries, on the next one to count
	entryOK bool
	markers *pebble.Iterator // its node markers, on the next one not taken
	nextOK  bool
	cur     nodeMarker // the last marker taken: the node of the next entry
	legacy  uint64     // entries in the next node without a marker
}

// nodeMarker is a decoded marker: the node's start and its last appended ID
// (zero for the newest node).
type nodeMarker struct {
	start, last ID
	ok          bool
}

// nodeInfo is one node: its entries still stored, and its last appended ID
// (for MINID).
type nodeInfo struct {
	live uint64
	last ID
}

func (l *Log) newNodeWalk(b *pendingBatch, ch *channel, entries *pebble.Iterator) (*nodeWalk, error) {
	lower, upper := prefixBounds(channelPrefix(prefixNode, l.shard, ch.cid))
	markers, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, err
	}
	w := &nodeWalk{ch: ch, entries: entries, markers: markers, legacy: firstNodeEntries(&ch.w)}
	w.entryOK = entries.First()
	w.nextOK = markers.First()
	return w, nil
}

func (w *nodeWalk) close() { _ = w.markers.Close() }

// next returns the next node that holds entries, or false after the last.
func (w *nodeWalk) next() (nodeInfo, bool, error) {
	if !w.entryOK {
		return nodeInfo{}, false, w.entries.Error()
	}
	id, err := w.entryID()
	if err != nil {
		return nodeInfo{}, false, err
	}
	next, err := w.peekMarker()
	if err != nil {
		return nodeInfo{}, false, err
	}
	for next.ok && !id.Less(next.start) { // take markers up to the entry's node
		w.cur = next
		w.nextOK = w.markers.Next()
		if next, err = w.peekMarker(); err != nil {
			return nodeInfo{}, false, err
		}
	}
	var info nodeInfo
	for w.entryOK {
		id, err := w.entryID()
		if err != nil {
			return info, false, err
		}
		if next.ok && !id.Less(next.start) || !w.cur.ok && info.live == w.legacy {
			break
		}
		info.live++
		info.last = id
		w.entryOK = w.entries.Next()
	}
	switch {
	case !w.cur.ok:
		w.legacy = approxNodeEntries // entries before the first marker
	case !w.cur.last.IsZero():
		info.last = w.cur.last // the last appended, maybe deleted since
	case w.cur.start == w.ch.w.Tail.Start:
		info.last = w.ch.w.Tail.Last
	}
	return info, true, w.entries.Error()
}

func (w *nodeWalk) entryID() (ID, error) {
	_, id, err := decodeEntryKey(w.entries.Key())
	return id, err
}

// peekMarker decodes the marker markers is on.
func (w *nodeWalk) peekMarker() (nodeMarker, error) {
	if !w.nextOK {
		return nodeMarker{}, w.markers.Error()
	}
	start, ok := decodeNodeKey(w.markers.Key())
	if !ok {
		return nodeMarker{}, fmt.Errorf("%w: node marker key", ErrCorrupt)
	}
	m := nodeMarker{start: start, ok: true}
	v, err := w.markers.ValueAndErr()
	if err != nil {
		return nodeMarker{}, err
	}
	switch len(v) {
	case 0:
	case 16:
		m.last = ID{Ms: binary.BigEndian.Uint64(v[:8]), Seq: binary.BigEndian.Uint64(v[8:])}
	default:
		return nodeMarker{}, fmt.Errorf("%w: node marker", ErrCorrupt)
	}
	return m, nil
}

// approxTrim returns how many of the oldest entries a "~" trim removes: whole
// nodes from the oldest, stopping at the first node it cannot remove whole
// or whose removal would pass the limit (streamTrim in t_stream.c). It also
// returns how many entries the first node it keeps holds, if it looked.
func (l *Log) approxTrim(b *pendingBatch, ch *channel, it *pebble.Iterator, t *Trim) (removed, keptLive uint64, looked bool, err error) {
	w, err := l.newNodeWalk(b, ch, it)
	if err != nil {
		return 0, 0, false, err
	}
	defer w.close()
	length := ch.w.Length
	for {
		if t.Strategy == TrimMaxLen && length <= t.MaxLen {
			return removed, 0, false, nil
		}
		node, ok, err := w.next()
		if err != nil || !ok {
			return removed, 0, false, err
		}
		remove := false
		switch t.Strategy {
		case TrimMaxLen:
			remove = length-node.live >= t.MaxLen
		case TrimMinID:
			remove = node.last.Less(t.MinID)
		}
		if t.Limit > 0 && removed+node.live > uint64(t.Limit) || !remove {
			return removed, node.live, true, nil
		}
		length -= node.live
		removed += node.live
	}
}

// trimNodes deletes the markers of nodes before the one holding the oldest
// entry left: their entries are all gone. Called after a trim.
func (l *Log) trimNodes(b *pendingBatch, ch *channel) error {
	lower, upper := prefixBounds(channelPrefix(prefixNode, l.shard, ch.cid))
	if ch.w.Length == 0 {
		if !ch.w.Tail.open() {
			b.setErr(b.pb.DeleteRange(lower, upper, nil))
		}
		return nil
	}
	if next, ok := ch.w.FirstID.Next(); ok {
		upper = nodeKey(nil, l.shard, ch.cid, next)
	}
	markers, err := b.pb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return err
	}
	defer markers.Close()
	if markers.Last() { // the oldest entry's node: it stays
		b.setErr(b.pb.DeleteRange(lower, bytes.Clone(markers.Key()), nil))
	}
	return markers.Error()
}

// recoverNode redoes nodeAppend for an entry appended after the channel's
// metadata was last written (Open): the markers written with the entries
// say where nodes started, so the result does not depend on the limits.
func (l *Log) recoverNode(cid uint64, t *TailNode, id ID, fields [][]byte) error {
	_, closer, err := l.db.Get(nodeKey(nil, l.shard, cid, id))
	switch {
	case err == nil:
		_ = closer.Close()
		*t = TailNode{Start: id, Fields: fieldNames(fields)}
		t.BaseBytes = masterBytes(t.Fields)
	case !errors.Is(err, pebble.ErrNotFound):
		return fmt.Errorf("wal: node marker: %w", err)
	case t.Start.IsZero():
		return nil // a channel written before nodes were kept
	}
	t.BaseBytes += listpackEntryBytes(t, id, fields)
	t.Appended++
	t.Live++
	t.Last = id
	return nil
}

// applySetNodeLimits sets the node limits; a negative one stays as it is.
func (l *Log) applySetNodeLimits(b *pendingBatch, p op) {
	next := l.w.nodeLimits
	if p.NodeLimits.MaxEntries >= 0 {
		next.MaxEntries = p.NodeLimits.MaxEntries
	}
	if p.NodeLimits.MaxBytes >= 0 {
		next.MaxBytes = p.NodeLimits.MaxBytes
	}
	l.w.nodeLimits = next
	var v []byte
	v = binary.AppendUvarint(v, uint64(next.MaxEntries))
	v = binary.AppendUvarint(v, uint64(next.MaxBytes))
	b.setErr(b.pb.Set(nodeLimitsKey(l.w.keyBuf, l.shard), v, nil))
	b.nodeLimits = &next // published once durable
}

// loadNodeLimits reads the stored node limits (Redis's defaults if none).
func (l *Log) loadNodeLimits() error {
	l.w.nodeLimits = DefaultNodeLimits
	v, closer, err := l.db.Get(nodeLimitsKey(nil, l.shard))
	if errors.Is(err, pebble.ErrNotFound) {
		l.nodeLimits.Store(&l.w.nodeLimits)
		return nil
	}
	if err != nil {
		return fmt.Errorf("wal: stream node limits: %w", err)
	}
	defer closer.Close()
	entries, n1 := binary.Uvarint(v)
	maxBytes, n2 := binary.Uvarint(v[max(n1, 0):])
	if n1 <= 0 || n2 <= 0 || n1+n2 != len(v) {
		return fmt.Errorf("%w: stream node limits", ErrCorrupt)
	}
	l.w.nodeLimits = NodeLimits{MaxEntries: int64(entries), MaxBytes: int64(maxBytes)}
	limits := l.w.nodeLimits
	l.nodeLimits.Store(&limits)
	return nil
}

// NodeLimits returns the durable stream node limits.
func (l *Log) NodeLimits() NodeLimits { return *l.nodeLimits.Load() }
