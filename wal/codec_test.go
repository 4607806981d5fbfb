package wal

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// TestDecodeMetaVersion1: metadata written before interest retention (no
// flags byte) still opens, with interest off.
func TestDecodeMetaVersion1(t *testing.T) {
	b := []byte{1}
	for _, v := range []uint64{3, 1, 0, 9, 2, 0, 0, 3, 120} {
		b = binary.AppendUvarint(b, v)
	}
	for _, v := range []int64{0, 100, -1} {
		b = binary.AppendVarint(b, v)
	}
	m, err := decodeMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Length != 3 || m.LastID != (ID{Ms: 9, Seq: 2}) || m.Bytes != 120 || m.Retention.MaxLen != 100 || m.Retention.Interest {
		t.Fatalf("decoded %+v", m)
	}
	if _, err := decodeMeta(append(b, 1)); err != nil {
		t.Fatalf("a version-1 record with a flags byte: %v", err)
	}
	m.Retention.Interest = true
	back, err := decodeMeta(encodeMeta(nil, &m))
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip %+v, %v", back, err)
	}
}

// TestMetaRecordWrittenTime: a record keeps the state-clock time it was
// written at; one of version 3 (before the time was kept) decodes the same
// with time 0.
func TestMetaRecordWrittenTime(t *testing.T) {
	m := Meta{Length: 2, LastID: ID{Ms: 7, Seq: 1}, EntriesAdded: 2, Bytes: 64,
		Tail: TailNode{Start: ID{Ms: 7, Seq: 0}, Last: ID{Ms: 7, Seq: 1}, Appended: 2, Live: 2, BaseBytes: 40}}
	rec := encodeMetaRecord(nil, &m, 1_700_000_000_123)
	back, at, err := decodeMetaRecord(rec)
	if err != nil || at != 1_700_000_000_123 || !reflect.DeepEqual(back, m) {
		t.Fatalf("round trip: %+v at %d, %v", back, at, err)
	}
	// Version 3: the same fields without the time, after the flags byte.
	v4 := encodeMetaRecord(nil, &m, 0)
	at0 := len(v4) - len(encodeTail(nil, &m.Tail)) - 1 // the time: one byte, 0
	v3 := append(append([]byte{3}, v4[1:at0]...), v4[at0+1:]...)
	back, at, err = decodeMetaRecord(v3)
	if err != nil || at != 0 || !reflect.DeepEqual(back, m) {
		t.Fatalf("version 3: %+v at %d, %v", back, at, err)
	}
}
