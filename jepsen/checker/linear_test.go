package checker

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/jepsen/history"
)

func linCheck(t *testing.T, b *builder) LinResult {
	t.Helper()
	return CheckLinearizable(b.ops, "lin", 10*time.Second, filepath.Join(t.TempDir(), "lin.html"))
}

func TestLinearizableHistoryPasses(t *testing.T) {
	b := &builder{}
	// a and b overlap; a read in the middle may see either order's prefix.
	b.add(history.Op{Process: 1, Type: history.Invoke, F: history.FXAdd, Channel: "lin", Value: "a"})
	b.add(history.Op{Process: 2, Type: history.Invoke, F: history.FXAdd, Channel: "lin", Value: "b"})
	b.add(history.Op{Process: 2, Type: history.OK, F: history.FXAdd, Channel: "lin", Value: "b", ID: "1-0"})
	b.read(3, "lin", false, e("1-0", "b"))
	b.add(history.Op{Process: 1, Type: history.OK, F: history.FXAdd, Channel: "lin", Value: "a", ID: "1-1"})
	b.write(4, history.FXAdd, "lin", "c", history.Info, "") // unknown, later seen
	b.write(5, history.FXAdd, "lin", "d", history.Info, "") // unknown, never seen
	b.read(3, "lin", true, e("1-0", "b"), e("1-1", "a"), e("2-0", "c"))
	res := linCheck(t, b)
	if res.Result != "Ok" || res.Operations != 5 {
		t.Fatalf("%+v", res)
	}
}

func TestNonLinearizableStaleRead(t *testing.T) {
	b := &builder{}
	b.write(1, history.FXAdd, "lin", "a", history.OK, "1-0")
	b.read(2, "lin", false) // begins after a was acknowledged, sees nothing
	b.read(2, "lin", true, e("1-0", "a"))
	res := linCheck(t, b)
	if res.Result != "Illegal" || res.Visualization == "" {
		t.Fatalf("%+v", res)
	}
	full := Check(b.ops, Options{LinChannel: "lin"})
	if full.Valid || full.Counts[KindNonLinearizable] != 1 {
		t.Fatalf("Check: %+v", full.Counts)
	}
}

func TestNonLinearizableIDsGoBack(t *testing.T) {
	b := &builder{}
	b.write(1, history.FXAdd, "lin", "a", history.OK, "5-0")
	b.write(2, history.FXAdd, "lin", "b", history.OK, "4-0")
	if res := linCheck(t, b); res.Result != "Illegal" {
		t.Fatalf("%+v", res)
	}
}
