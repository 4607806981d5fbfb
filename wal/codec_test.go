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
	if m.Length != 3 || m.LastID != (ID{9, 2}) || m.Bytes != 120 || m.Retention.MaxLen != 100 || m.Retention.Interest {
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
