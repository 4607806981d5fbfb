package wal

import (
	"encoding/binary"
	"fmt"
)

// Entry value formats. A PUBLISH payload is one field named "message"; it is
// stored without the field name.
const (
	formatMessage byte = 1 // value[1:] is the payload of the field "message"
	formatFields  byte = 2 // uvarint count, then count × (uvarint len, bytes)
)

// MessageField is the field name under which a PUBLISH payload is stored.
var MessageField = []byte("message")

func isMessageOnly(fields [][]byte) bool {
	return len(fields) == 2 && string(fields[0]) == "message"
}

// encodedEntrySize is the size encodeEntry appends for fields.
func encodedEntrySize(fields [][]byte) int {
	if isMessageOnly(fields) {
		return 1 + len(fields[1])
	}
	n := 1 + binary.MaxVarintLen64
	for _, f := range fields {
		n += binary.MaxVarintLen64 + len(f)
	}
	return n
}

func encodeEntry(dst []byte, fields [][]byte) []byte {
	if isMessageOnly(fields) {
		dst = append(dst, formatMessage)
		return append(dst, fields[1]...)
	}
	dst = append(dst, formatFields)
	dst = binary.AppendUvarint(dst, uint64(len(fields)))
	for _, f := range fields {
		dst = binary.AppendUvarint(dst, uint64(len(f)))
		dst = append(dst, f...)
	}
	return dst
}

// decodeEntry appends the fields of value to fields (sub-slices of value).
func decodeEntry(fields [][]byte, value []byte) ([][]byte, error) {
	if len(value) == 0 {
		return fields, fmt.Errorf("%w: empty entry value", ErrCorrupt)
	}
	switch value[0] {
	case formatMessage:
		return append(fields, MessageField, value[1:]), nil
	case formatFields:
	default:
		return fields, fmt.Errorf("%w: entry format %d", ErrCorrupt, value[0])
	}
	b := value[1:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) || count%2 != 0 {
		return fields, fmt.Errorf("%w: entry field count", ErrCorrupt)
	}
	b = b[n:]
	for i := uint64(0); i < count; i++ {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return fields, fmt.Errorf("%w: entry field length", ErrCorrupt)
		}
		fields = append(fields, b[n:n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return fields, fmt.Errorf("%w: %d trailing bytes in entry", ErrCorrupt, len(b))
	}
	return fields, nil
}

// Meta describes one channel. The writer keeps its own copy; readers see the
// copy published after the batch that produced it was fsync'd.
type Meta struct {
	Length       uint64
	FirstID      ID // 0-0 when empty
	LastID       ID // the last ID ever assigned (kept after deletes and trims)
	MaxDeletedID ID
	EntriesAdded uint64
	Bytes        uint64 // sum of key and value sizes of live entries
	Retention    Retention
	// Tail is the channel's newest stream node (nodes.go).
	Tail TailNode
	// Incarnation identifies this life of the channel: it changes when
	// the channel is deleted and created again, and is never reused (it
	// is the channel's cid; not part of the encoded metadata).
	Incarnation uint64
}

// metaVersion 4 added the state-clock time the record was written; 3 the
// newest node (Tail); 2 the interest flag.
const metaVersion = 4

func encodeMeta(dst []byte, m *Meta) []byte { return encodeMetaRecord(dst, m, 0) }

func decodeMeta(b []byte) (Meta, error) {
	m, _, err := decodeMetaRecord(b)
	return m, err
}

// encodeMetaRecord encodes m as a stored record written at writtenMs, the
// state clock of the request that wrote it (see checkpointRequest).
func encodeMetaRecord(dst []byte, m *Meta, writtenMs int64) []byte {
	dst = append(dst, metaVersion)
	for _, v := range [...]uint64{m.Length, m.FirstID.Ms, m.FirstID.Seq, m.LastID.Ms, m.LastID.Seq,
		m.MaxDeletedID.Ms, m.MaxDeletedID.Seq, m.EntriesAdded, m.Bytes} {
		dst = binary.AppendUvarint(dst, v)
	}
	for _, v := range [...]int64{m.Retention.MaxAgeMs, m.Retention.MaxLen, m.Retention.MaxBytes} {
		dst = binary.AppendVarint(dst, v)
	}
	flag := byte(0)
	if m.Retention.Interest {
		flag = 1
	}
	dst = append(dst, flag)
	dst = binary.AppendVarint(dst, writtenMs)
	return encodeTail(dst, &m.Tail)
}

func encodeTail(dst []byte, t *TailNode) []byte {
	for _, v := range [...]uint64{t.Start.Ms, t.Start.Seq, t.Last.Ms, t.Last.Seq, t.Appended, t.Live, t.BaseBytes, uint64(len(t.Fields))} {
		dst = binary.AppendUvarint(dst, v)
	}
	return append(dst, t.Fields...)
}

func decodeTail(b []byte, t *TailNode) error {
	bad := fmt.Errorf("%w: channel metadata: newest node", ErrCorrupt)
	var size uint64
	for _, p := range [...]*uint64{&t.Start.Ms, &t.Start.Seq, &t.Last.Ms, &t.Last.Seq, &t.Appended, &t.Live, &t.BaseBytes, &size} {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return bad
		}
		*p, b = v, b[n:]
	}
	if size != uint64(len(b)) || t.Live > t.Appended {
		return bad
	}
	t.Fields = string(b)
	for rest := t.Fields; rest != ""; {
		var ok bool
		if _, rest, ok = nextName(rest); !ok {
			return bad
		}
	}
	return nil
}

// decodeMetaRecord decodes a stored metadata record and when it was
// written (0 for records older than version 4).
func decodeMetaRecord(b []byte) (m Meta, writtenMs int64, err error) {
	if len(b) == 0 || b[0] < 1 || b[0] > metaVersion {
		return m, 0, fmt.Errorf("%w: channel metadata version", ErrCorrupt)
	}
	version := b[0]
	b = b[1:]
	u := [...]*uint64{&m.Length, &m.FirstID.Ms, &m.FirstID.Seq, &m.LastID.Ms, &m.LastID.Seq,
		&m.MaxDeletedID.Ms, &m.MaxDeletedID.Seq, &m.EntriesAdded, &m.Bytes}
	for _, p := range u {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return m, 0, fmt.Errorf("%w: channel metadata", ErrCorrupt)
		}
		*p, b = v, b[n:]
	}
	for _, p := range [...]*int64{&m.Retention.MaxAgeMs, &m.Retention.MaxLen, &m.Retention.MaxBytes} {
		v, n := binary.Varint(b)
		if n <= 0 {
			return m, 0, fmt.Errorf("%w: channel metadata", ErrCorrupt)
		}
		*p, b = v, b[n:]
	}
	if version == 1 && len(b) == 0 {
		return m, 0, nil // written before interest retention existed
	}
	if len(b) == 0 || b[0] > 1 || version < 3 && len(b) != 1 {
		return m, 0, fmt.Errorf("%w: channel metadata flags", ErrCorrupt)
	}
	m.Retention.Interest = b[0] == 1
	if version < 3 {
		return m, 0, nil // written before stream nodes were kept
	}
	b = b[1:]
	if version >= 4 {
		v, n := binary.Varint(b)
		if n <= 0 {
			return m, 0, fmt.Errorf("%w: channel metadata time", ErrCorrupt)
		}
		writtenMs, b = v, b[n:]
	}
	return m, writtenMs, decodeTail(b, &m.Tail)
}
