package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rewind-mq/rewind/jepsen/node"
	"github.com/rewind-mq/rewind/jepsen/report"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// rewindBinary builds rewind from this checkout once per test binary.
func rewindBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jepsen-test-bin-")
		if err != nil {
			buildErr = err
			return
		}
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "rewind")
		buildErr = node.Build(context.Background(), root, binPath)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// harness runs the harness and returns its exit status and verdict.
func harness(t *testing.T, args ...string) (int, report.Verdict) {
	t.Helper()
	out := t.TempDir()
	var stdout, stderr strings.Builder
	args = append(args, "--bin", rewindBinary(t), "--out", out)
	code := run(args, &stdout, &stderr)
	t.Logf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	runs, _ := filepath.Glob(filepath.Join(out, "*", "verdict.json"))
	if len(runs) != 1 {
		t.Fatalf("want one verdict.json, got %v", runs)
	}
	var v report.Verdict
	data, err := os.ReadFile(runs[0])
	if err != nil || json.Unmarshal(data, &v) != nil {
		t.Fatalf("verdict.json: %v", err)
	}
	for _, f := range []string{"history.jsonl", "report.html", "throughput.png", "latency.png", "run.json", "n1.log"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(runs[0]), f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	return code, v
}

// TestHarnessShortRun: a short run with kill -9, a pause and a power loss
// (seed 29) and every workload finds nothing wrong with rewind. It repeats
// a shorter `make jepsen`, so it runs only with REWIND_JEPSEN=1.
func TestHarnessShortRun(t *testing.T) {
	if testing.Short() || os.Getenv("REWIND_JEPSEN") == "" {
		t.Skip("runs real processes for 20s: set REWIND_JEPSEN=1 (make jepsen runs the harness anyway)")
	}
	code, v := harness(t, "--time", "20s", "--seed", "29", "--nemesis", "all", "--rate", "1000")
	if code != exitValid || !v.Valid {
		t.Fatalf("exit %d, anomalies %v", code, v.Counts)
	}
	if v.Stats.WritesOK < 1000 || v.Stats.NemesisEvents < 3 || v.Stats.Deliveries == 0 || v.Linearizability == nil || v.Linearizability.Result != "Ok" {
		t.Fatalf("too little happened: %+v %+v", v.Stats, v.Linearizability)
	}
	if q, n := v.Stats.Queue, v.Stats.Named; q == nil || q.Acked == 0 || q.Redeliveries == 0 || q.DeadLettered == 0 || n == nil || n.Seams == 0 {
		t.Fatalf("too little happened in the queue or to named subscribers: %+v %+v", q, n)
	}
}

// TestHarnessCatchesUnsyncedLoss: with nodes that acknowledge before
// fsync, a power loss must show up as lost writes and a failed run.
func TestHarnessCatchesUnsyncedLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes for 12s")
	}
	code, v := harness(t, "--time", "12s", "--seed", "1", "--nemesis", "powerloss", "--unsafe-no-sync", "--workload", "log", "--rate", "1000")
	if code != exitInvalid || v.Valid || v.Counts["lost"] == 0 {
		t.Fatalf("exit %d, anomalies %v: the checker missed the loss", code, v.Counts)
	}
}

func TestUnknownWorkloadIsRefused(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"--workload", "queue,nope"}, &strings.Builder{}, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), `unknown workload "nope" (have: queue, log, subscribe)`) {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
