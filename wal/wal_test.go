package wal

import (
	"fmt"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func openMem(t testing.TB, fs vfs.FS, mod func(*Options)) *Log {
	t.Helper()
	o := Options{Dir: "data", FS: fs}
	if mod != nil {
		mod(&o)
	}
	l, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// add adds a zeroed command to r and returns it with its result, valid
// until the next Add.
func add(r *Request) op {
	r.Add()
	return r.op(len(r.Commands) - 1)
}

func publish(t testing.TB, l *Log, ch, msg string) ID {
	t.Helper()
	r := NewRequest()
	p := add(r)
	p.Kind, p.Channel, p.Spec, p.Fields = OpAppend, []byte(ch), IDSpec{Auto: true}, [][]byte{MessageField, []byte(msg)}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	return p.ID
}

func readAll(t testing.TB, l *Log, ch string) []string {
	t.Helper()
	var out []string
	_, err := l.Range([]byte(ch), RangeQuery{End: MaxID}, func(e *Entry) error {
		out = append(out, e.ID.String()+"="+string(e.Fields[1]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendReadReopen(t *testing.T) {
	fs := vfs.NewMem()
	l := openMem(t, fs, func(o *Options) { o.NowMs = func() int64 { return 1000 } })
	var ids []ID
	for i := 0; i < 5; i++ {
		ids = append(ids, publish(t, l, "news", fmt.Sprint("m", i)))
	}
	for i := 1; i < len(ids); i++ {
		if !ids[i-1].Less(ids[i]) {
			t.Fatalf("ids not increasing: %v", ids)
		}
	}
	if ids[0] != (ID{Ms: 1000, Seq: 0}) || ids[4] != (ID{Ms: 1000, Seq: 4}) {
		t.Fatalf("ids %v", ids)
	}
	got := readAll(t, l, "news")
	if len(got) != 5 || got[0] != "1000-0=m0" {
		t.Fatalf("read %v", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// The clock went back: IDs still increase.
	l = openMem(t, fs, func(o *Options) { o.NowMs = func() int64 { return 5 } })
	defer l.Close()
	if id := publish(t, l, "news", "after"); id != (ID{Ms: 1000, Seq: 5}) {
		t.Fatalf("id after reopen %v", id)
	}
	m, ok := l.Meta([]byte("news"))
	if !ok || m.Length != 6 || m.EntriesAdded != 6 || m.FirstID != (ID{Ms: 1000, Seq: 0}) {
		t.Fatalf("meta %+v %v", m, ok)
	}
}

func TestConcurrentAppendsGroupCommit(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				publish(t, l, fmt.Sprint("ch", g%3), fmt.Sprint(g, "-", i))
			}
		}()
	}
	wg.Wait()
	total := 0
	for c := 0; c < 3; c++ {
		total += len(readAll(t, l, fmt.Sprint("ch", c)))
	}
	if total != 1600 {
		t.Fatalf("total %d", total)
	}
}

func TestTrimAndDelete(t *testing.T) {
	l := openMem(t, vfs.NewMem(), nil)
	defer l.Close()
	var ids []ID
	for i := 0; i < 10; i++ {
		ids = append(ids, publish(t, l, "s", fmt.Sprint(i)))
	}
	r := NewRequest()
	p := add(r)
	p.Kind, p.Channel, p.Command.IDs = OpDelete, []byte("s"), []ID{ids[0], ids[0], ids[5], {Ms: 1}}
	q := add(r)
	q.Kind, q.Channel, q.Trim = OpTrim, []byte("s"), Trim{Strategy: TrimMaxLen, MaxLen: 5}
	if err := l.Submit(r); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	p, q = r.op(0), r.op(1)
	if p.Err != nil || q.Err != nil || p.N != 2 || q.N != 3 {
		t.Fatalf("del %d %v trim %d %v", p.N, p.Err, q.N, q.Err)
	}
	got := readAll(t, l, "s")
	if len(got) != 5 || got[0] != ids[4].String()+"=4" {
		t.Fatalf("after trim %v", got)
	}
	m, _ := l.Meta([]byte("s"))
	if m.Length != 5 || m.FirstID != ids[4] || m.MaxDeletedID != ids[5] || m.LastID != ids[9] {
		t.Fatalf("meta %+v", m)
	}
}
