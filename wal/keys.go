package wal

import (
	"encoding/binary"
	"fmt"
)

// Key layout. Channel names are arbitrary bytes, so they never appear inside
// an entry key: each name maps to a numeric channel id in the names table.
//
//	n/<name>                       -> channel id (8 bytes BE)
//	m/<id BE>                      -> channel metadata (encodeMeta)
//	e/<id BE><ms BE><seq BE>       -> entry value (encodeEntry)
//	h/                             -> commit counter ranges (highwater.go)
//	x/next-cid                     -> the next channel id to assign (8 bytes BE)
//	x/nodes                        -> stream node limits (nodes.go)
//	x/applied                      -> applied index, state clock (8 + 8 bytes BE)
//	z/<id BE>                      -> node-local: metadata at the last clean close
//
// Everything but h/ and z/ is replicated state: the same requests applied
// at the same indices and stamps give the same records on every node. h/
// and z/ are the node's own bookkeeping.
//
// The settings (x/) sort after the entries, with the other small records
// read at Open.
//
// One channel's entries are contiguous and in ID order, so reads are bounded
// iterators and trims are range deletions.
const (
	prefixName     = 'n'
	prefixMeta     = 'm'
	prefixEntry    = 'e'
	prefixSettings = 'x'
	prefixClosed   = 'z'

	entryKeyLen = 2 + 8 + 8 + 8
)

// nextCIDKey holds the next channel id (cid) to assign. Channel ids are
// never reused: a cid names one incarnation of a channel.
var nextCIDKey = append([]byte{prefixSettings, '/'}, "next-cid"...)

// appliedKey holds the index of the last request applied and the state
// clock, written in every batch that applies a request.
var appliedKey = append([]byte{prefixSettings, '/'}, "applied"...)

// closedMetaKey holds a channel's metadata as of the last clean close
// (checkpointMeta): node-local, read and removed by the next Open.
func closedMetaKey(dst []byte, cid uint64) []byte {
	dst = append(dst[:0], prefixClosed, '/')
	return binary.BigEndian.AppendUint64(dst, cid)
}

func nameKey(dst, name []byte) []byte {
	dst = append(dst[:0], prefixName, '/')
	return append(dst, name...)
}

func metaKey(dst []byte, cid uint64) []byte {
	dst = append(dst[:0], prefixMeta, '/')
	return binary.BigEndian.AppendUint64(dst, cid)
}

func entryKey(dst []byte, cid uint64, id ID) []byte {
	dst = append(dst[:0], prefixEntry, '/')
	dst = binary.BigEndian.AppendUint64(dst, cid)
	dst = binary.BigEndian.AppendUint64(dst, id.Ms)
	return binary.BigEndian.AppendUint64(dst, id.Seq)
}

// channelEntryBounds returns [lower, upper) covering every entry of cid.
func channelEntryBounds(cid uint64) (lower, upper []byte) {
	lower = binary.BigEndian.AppendUint64([]byte{prefixEntry, '/'}, cid)
	upper = binary.BigEndian.AppendUint64([]byte{prefixEntry, '/'}, cid+1)
	return lower, upper
}

func decodeEntryKey(k []byte) (cid uint64, id ID, err error) {
	if len(k) != entryKeyLen || k[0] != prefixEntry || k[1] != '/' {
		return 0, ID{}, fmt.Errorf("%w: entry key %x", ErrCorrupt, k)
	}
	cid = binary.BigEndian.Uint64(k[2:])
	id.Ms = binary.BigEndian.Uint64(k[10:])
	id.Seq = binary.BigEndian.Uint64(k[18:])
	return cid, id, nil
}
