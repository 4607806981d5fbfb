package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// TestFieldValue finds a field of an entry read by the shared client.
func TestFieldValue(t *testing.T) {
	rd := respclient.NewReader(strings.NewReader("*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$7\r\nmessage\r\n$2\r\nhi\r\n"), 64, 1<<20)
	reply, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := fieldValue(reply, reply.Child(0, 1), "message"); string(got) != "hi" {
		t.Errorf("fieldValue(message) = %q, want hi", got)
	}
	if got := fieldValue(reply, reply.Child(0, 1), "missing"); got != nil {
		t.Errorf("fieldValue(missing) = %q, want nil", got)
	}
	if got := fieldValue(reply, -1, "message"); got != nil {
		t.Errorf("fieldValue of no fields = %q, want nil", got)
	}
}

// TestGroupEntriesAndPush reads the shapes of XREADGROUP replies and
// message pushes in RESP2 and RESP3.
func TestGroupEntriesAndPush(t *testing.T) {
	entries := "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n"
	stream := "*1\r\n*2\r\n$1\r\nk\r\n" + entries + "%1\r\n$1\r\nk\r\n" + entries + "*-1\r\n" +
		">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n"
	rd := respclient.NewReader(strings.NewReader(stream), 16, 1<<20)
	for _, want := range []int{1, 1, -1} {
		reply, err := rd.Read()
		if err != nil {
			t.Fatal(err)
		}
		e, err := groupEntries(reply)
		if err != nil || (e < 0) != (want < 0) || (e >= 0 && reply.Int(e) != int64(want)) {
			t.Fatalf("groupEntries(%v) = %d, %v", reply, e, err)
		}
	}
	reply, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	if payload, err := pushPayload(reply); err != nil || string(payload) != "abc" {
		t.Errorf("pushPayload = %q, %v", payload, err)
	}
}

func TestEncodeWrite(t *testing.T) {
	got := string(encodeWrite("XADD", "ch", []byte("p")))
	want := "*5\r\n$4\r\nXADD\r\n$2\r\nch\r\n$1\r\n*\r\n$7\r\nmessage\r\n$1\r\np\r\n"
	if got != want {
		t.Errorf("encodeWrite(XADD) = %q, want %q", got, want)
	}
}

func TestPercentile(t *testing.T) {
	seq := func(n int) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(i + 1)
		}
		return s
	}
	cases := []struct {
		name   string
		sorted []int64
		p      float64
		want   int64
	}{
		{"empty", nil, 50, 0},
		{"single p50", []int64{7}, 50, 7},
		{"single p99.9", []int64{7}, 99.9, 7},
		{"1..100 p50", seq(100), 50, 50},
		{"1..100 p99", seq(100), 99, 99},
		{"1..100 p99.9", seq(100), 99.9, 100},
		{"1..1000 p99.9", seq(1000), 99.9, 999},
		{"1..1000 p100", seq(1000), 100, 1000},
		{"1..10 p0 is the minimum", seq(10), 0, 1},
		{"two values p50", []int64{10, 20}, 50, 10},
		{"two values p51", []int64{10, 20}, 51, 20},
	}
	for _, tc := range cases {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(p=%v) = %d, want %d", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestMergeSortedAndSummarize(t *testing.T) {
	a, b := newSamples(0), newSamples(0)
	for _, ms := range []int64{3, 1, 4} {
		a.add(time.Duration(ms) * time.Millisecond)
	}
	for _, ms := range []int64{1, 5, 9, 2} {
		b.add(time.Duration(ms) * time.Millisecond)
	}
	all := mergeSorted(a, b)
	if fmt.Sprint(all) != "[1000000 1000000 2000000 3000000 4000000 5000000 9000000]" {
		t.Fatalf("mergeSorted = %v", all)
	}
	s := summarize(all)
	want := latencySummary{Count: 7, P50Ms: 3, P99Ms: 9, P999Ms: 9, MeanMs: s.MeanMs, MaxMs: 9}
	if s != want || math.Abs(s.MeanMs-25.0/7) > 1e-9 {
		t.Errorf("summarize = %+v, want %+v", s, want)
	}
	if (summarize(nil) != latencySummary{}) {
		t.Errorf("summarize(nil) is not zero")
	}
	if got := perSecond(500, 250*time.Millisecond); got != 2000 {
		t.Errorf("perSecond = %v, want 2000", got)
	}
}

func TestStamp(t *testing.T) {
	buf := []byte("....................xx")
	now := time.Now().UnixNano()
	writeStamp(buf, now)
	got, ok := readStamp(buf)
	if !ok || got != now {
		t.Errorf("readStamp(writeStamp(%d)) = %d, %v", now, got, ok)
	}
	if _, ok := readStamp([]byte("12345")); ok {
		t.Error("readStamp accepted a short payload")
	}
	if _, ok := readStamp(makePayload(30)); ok {
		t.Error("readStamp accepted a payload without digits")
	}
}

func TestExpandList(t *testing.T) {
	got, err := expandList("system", []string{"redis-nopersist", "rewind"}, systemNames())
	if err != nil || strings.Join(got, ",") != "rewind,redis-nopersist" {
		t.Errorf("expandList = %v, %v; want known order", got, err)
	}
	got, err = expandList("workload", []string{"all"}, workloadNames)
	if err != nil || len(got) != len(workloadNames) {
		t.Errorf("expandList(all) = %v, %v", got, err)
	}
	if _, err := expandList("workload", []string{"nope"}, workloadNames); err == nil {
		t.Error("expandList accepted an unknown name")
	}
}

func TestInfoField(t *testing.T) {
	info := "# Memory\r\nused_memory:1024\r\nused_memory_human:1.00K\r\n"
	if v, ok := infoField(info, "used_memory"); !ok || v != "1024" {
		t.Errorf("infoField = %q, %v", v, ok)
	}
	if _, ok := infoField(info, "missing"); ok {
		t.Error("infoField found a missing field")
	}
}

func TestComputeRatios(t *testing.T) {
	lat := func(p99 float64) *latencySummary { return &latencySummary{Count: 1, P99Ms: p99} }
	rs := []Result{
		{Workload: "publish", Test: "PUBLISH 1 client x1", System: "rewind", MsgsPerSec: 300},
		{Workload: "publish", Test: "PUBLISH 1 client x1", System: "redis-always", MsgsPerSec: 100},
		{Workload: "publish", Test: "PUBLISH 1 client x1", System: "redis-nopersist", MsgsPerSec: 600},
		{Workload: "publish", Test: "PUBLISH 1 client x1", System: "redis-everysec", Error: "boom"},
		{Workload: "latency", Test: testPubSub, System: "rewind", Latency: lat(2)},
		{Workload: "latency", Test: testXaddXread, System: "rewind", Latency: lat(3)},
		{Workload: "latency", Test: testXaddXread, System: "redis-always", Latency: lat(4)},
		{Workload: "memory", Test: testEntryStore, System: "rewind", MemBytes: 50, MemUnit: "B/entry disk"},
		{Workload: "memory", Test: testEntryStore, System: "redis-always", MemBytes: 100, MemUnit: "B/entry RAM"},
	}
	var got []string
	for _, r := range computeRatios(rs) {
		got = append(got, fmt.Sprintf("%s|%s|%s|%.2f", r.Test, r.Against, r.Metric, r.Ratio))
	}
	want := []string{
		"PUBLISH 1 client x1|redis-always|msgs/s|3.00",
		"PUBLISH 1 client x1|redis-nopersist|msgs/s|0.50",
		"PUBLISH->SUBSCRIBE|redis-always XADD->XREAD|p99|0.50",
		"XADD->XREAD|redis-always|p99|0.75",
		"bytes/entry stored|redis-always|B/entry disk vs B/entry RAM|0.50",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("computeRatios:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHelpAndBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Main([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--workloads") {
		t.Errorf("--help: code %d, stdout %q", code, out.String())
	}
	if code := Main([]string{"--workloads", "nope"}, &out, &errOut); code != 2 {
		t.Errorf("bad workload: code %d, want 2", code)
	}
}

func TestRewindStartFailureIsReported(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	var out, errOut bytes.Buffer
	args := []string{"--smoke", "--systems", "rewind", "--workloads", "publish,memory",
		"--rewind", filepath.Join(dir, "missing-binary"), "--json", jsonPath}
	if code := Main(args, &out, &errOut); code != 1 {
		t.Fatalf("code %d, want 1; stderr:\n%s", code, errOut.String())
	}
	rep := readReport(t, jsonPath)
	if len(rep.Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rep.Results {
		if r.System != "rewind" || !strings.Contains(r.Error, "missing-binary") {
			t.Errorf("%s %s: error %q, want the start failure", r.key(), r.System, r.Error)
		}
	}
}

func TestSmokeAgainstRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not in PATH")
	}
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Main([]string{"--smoke", "--systems", "redis-always", "--json", jsonPath}, &out, &errOut)
	t.Logf("ran in %v; stdout:\n%s", time.Since(start), out.String())
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errOut.String())
	}
	rep := readReport(t, jsonPath)
	seen := map[string]bool{}
	for _, r := range rep.Results {
		seen[r.Workload] = true
		switch {
		case r.Error != "":
			t.Errorf("%s: error %s", r.key(), r.Error)
		case r.Workload == "memory" && r.MemBytes <= 0:
			t.Errorf("%s: memory %v %s, want > 0", r.key(), r.MemBytes, r.MemUnit)
		case r.Workload != "memory" && r.MsgsPerSec <= 0:
			t.Errorf("%s: throughput %v, want > 0", r.key(), r.MsgsPerSec)
		}
	}
	for _, w := range workloadNames {
		if !seen[w] {
			t.Errorf("workload %s has no result", w)
		}
	}
	if rep.RedisVersion == "" || rep.NProc == 0 || rep.GoVersion == "" || rep.Hostname == "" {
		t.Errorf("environment missing from the report: %+v", rep)
	}
}

func readReport(t *testing.T, path string) Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rep Report
	if err := json.NewDecoder(bufio.NewReader(f)).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	return rep
}
