package history

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func entries(values ...string) []Entry {
	var out []Entry
	for i, v := range values {
		out = append(out, Entry{ID: string(rune('a'+i)) + "-0", Value: v})
	}
	return out
}

// TestRecorderDeltaEncodesFullReads: a read from the start is stored as
// "the first Same entries of read Base" plus the rest, and the stored form
// keeps every entry.
func TestRecorderDeltaEncodesFullReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.jsonl")
	rec, err := NewRecorder(path, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	first := rec.Record(Op{Process: 1, Type: OK, F: FRead, Channel: "c", Entries: entries("x", "y")})
	rec.Record(Op{Process: 1, Type: OK, F: FRead, Channel: "c", Entries: entries("x", "y", "z")})
	rec.Record(Op{Process: 2, Type: OK, F: FRead, Channel: "c", Entries: entries("q")}) // diverges at once
	tail := Entry{ID: "b-0", Value: "y"}
	rec.Record(Op{Process: 1, Type: OK, F: FRead, Channel: "c", After: &tail, Entries: entries("z")})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	ops, err := Load(path)
	if err != nil || len(ops) != 4 {
		t.Fatal(len(ops), err)
	}
	second := ops[1]
	if second.Base != first.Index || second.Same != 2 || second.Count != 3 || !reflect.DeepEqual(second.Entries, entries("x", "y", "z")[2:]) || *second.After != entries("x", "y")[1] {
		t.Fatalf("second read stored as %+v", second)
	}
	if ops[2].Same != 0 || len(ops[2].Entries) != 1 || ops[2].After != nil {
		t.Fatalf("diverging read stored as %+v", ops[2])
	}
	if ops[3].Same != 0 || ops[3].After.ID != "b-0" {
		t.Fatalf("tail read stored as %+v", ops[3])
	}
	for i, op := range ops {
		if op.Index != i || (i > 0 && op.Time < ops[i-1].Time) {
			t.Fatalf("event %d: index %d time %d", i, op.Index, op.Time)
		}
	}
}
