package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/jepsen/checker"
	"github.com/rewind-mq/rewind/jepsen/history"
)

// TestWriteReport renders a small history with a fault and a lost write.
func TestWriteReport(t *testing.T) {
	var ops []history.Op
	add := func(op history.Op) {
		op.Index = len(ops)
		op.Time = int64(len(ops)) * int64(100*time.Millisecond)
		ops = append(ops, op)
	}
	add(history.Op{Process: 1, Type: history.Invoke, F: history.FXAdd, Channel: "c", Value: "a"})
	add(history.Op{Process: 1, Type: history.OK, F: history.FXAdd, Channel: "c", Value: "a", ID: "1-0"})
	add(history.Op{Process: history.NemesisProcess, Type: history.Invoke, F: "kill"})
	add(history.Op{Process: history.NemesisProcess, Type: history.OK, F: "kill"})
	add(history.Op{Process: 1, Type: history.Invoke, F: history.FPublish, Channel: "c", Value: "b"})
	add(history.Op{Process: 1, Type: history.OK, F: history.FPublish, Channel: "c", Value: "b"})
	add(history.Op{Process: 2, Type: history.Invoke, F: history.FRead, Channel: "c", Final: true})
	add(history.Op{Process: 2, Type: history.OK, F: history.FRead, Channel: "c", Final: true, Entries: []history.Entry{{ID: "1-0", Value: "a"}}})
	res := checker.Check(ops, checker.Options{})
	dir := t.TempDir()
	v, err := Write(dir, Run{Seed: 7, Length: time.Second}, ops, res)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Counts[checker.KindLost] != 1 || v.Figures.WriteP50Ms <= 0 {
		t.Fatalf("verdict %+v", v)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INVALID", `id="lost"`, "absent from the final log", "throughput.png", "kill"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, f := range []string{"verdict.json", "throughput.png", "latency.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
