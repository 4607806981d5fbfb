package wal

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestDigest: the digest of the replicated state follows every replicated
// write, not the node's own records: a close (which records metadata for
// the next open) and a reopen leave it as it was; one more entry changes
// it, and another log with the same writes at the same stamps has it too.
func TestDigest(t *testing.T) {
	fs := vfs.NewMem()
	now := int64(1_700_000_000_000)
	clock := func(o *Options) { o.NowMs = func() int64 { return now } }
	l := openMem(t, fs, clock)
	publish(t, l, "a", "1")
	publish(t, l, "a", "2") // within the checkpoint interval: the close records it
	i1, d1, err := l.Digest()
	if err != nil || i1 != 2 {
		t.Fatalf("digest at %d: %v", i1, err)
	}
	mustClose(t, l)
	l = openMem(t, fs, clock)
	defer l.Close()
	if i, d, err := l.Digest(); err != nil || i != i1 || d != d1 {
		t.Fatalf("after close and reopen: %d %x (%v), was %d %x", i, d, err, i1, d1)
	}
	publish(t, l, "a", "3")
	i2, d2, _ := l.Digest()
	if i2 != 3 || d2 == d1 {
		t.Fatalf("after one more entry: %d %x, was %d %x", i2, d2, i1, d1)
	}
	other := openMem(t, vfs.NewMem(), clock)
	defer other.Close()
	for _, m := range []string{"1", "2", "3"} {
		publish(t, other, "a", m)
	}
	if i, d, _ := other.Digest(); i != i2 || d != d2 {
		t.Fatalf("the same writes elsewhere: %d %x, want %d %x", i, d, i2, d2)
	}
}
