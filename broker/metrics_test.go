package broker

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestMetricsCountCommitsAndEntries(t *testing.T) {
	reg := prometheus.NewRegistry()
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := 0; i < 3; i++ {
		r := NewRequest()
		p := r.Add()
		p.Kind, p.Channel, p.Spec.Auto, p.Fields = OpAppend, []byte("ch"), true, [][]byte{MessageField, []byte("m")}
		if err := b.Do(r); err != nil || r.Result(0).Err != nil {
			t.Fatal(err, r.Result(0).Err)
		}
	}
	got := gather(t, reg)
	if v := got["rewind_published_entries_total"].GetCounter().GetValue(); v != 3 {
		t.Fatalf("published entries %v, want 3", v)
	}
	if v := got["rewind_entries"].GetGauge().GetValue(); v != 3 {
		t.Fatalf("entries %v, want 3", v)
	}
	if c := got["rewind_commit_seconds"].GetHistogram().GetSampleCount(); c < 1 || c > 3 {
		t.Fatalf("commits observed: %d, want 1..3", c)
	}
	if v := got["rewind_commit_failures_total"].GetCounter().GetValue(); v != 0 {
		t.Fatalf("commit failures %v", v)
	}
}

// gather returns the first series of every metric family by name.
func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()[0]
	}
	return out
}

// TestMetricsPatternCache: publishes with a pattern subscriber fill the
// pattern cache, and fan-out matched nothing itself.
func TestMetricsPatternCache(t *testing.T) {
	reg := prometheus.NewRegistry()
	b, err := Open(Config{Dir: "data", FS: vfs.NewMem(), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.Subscribe(KindPattern, "c*", &payloads{})
	for i := 0; i < 3; i++ {
		if n, err := publishTo(b, "ch", "m"); err != nil || n != 1 {
			t.Fatalf("publish: %d receivers, %v", n, err)
		}
	}
	got := gather(t, reg)
	if v := got["rewind_pattern_cache_bytes"].GetGauge().GetValue(); v <= 0 {
		t.Errorf("pattern cache bytes %v, want > 0", v)
	}
	if v := got["rewind_pattern_fanout_matches_total"].GetCounter().GetValue(); v != 0 {
		t.Errorf("fan-out matches %v, want 0", v)
	}
}
