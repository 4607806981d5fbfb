package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// TestRunOrder checks that every pair of systems swaps places from one run
// to the next.
func TestRunOrder(t *testing.T) {
	systems := []system{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	want := []string{"a,b,c", "c,b,a", "a,b,c", "c,b,a"}
	for run := 1; run <= len(want); run++ {
		if got := strings.Join(systemNamesOf(runOrder(systems, run)), ","); got != want[run-1] {
			t.Errorf("runOrder(run %d) = %s, want %s", run, got, want[run-1])
		}
	}
	if strings.Join(systemNamesOf(systems), ",") != "a,b,c" {
		t.Errorf("runOrder changed its argument: %v", systemNamesOf(systems))
	}
}

func TestMedianResults(t *testing.T) {
	lat := func(p50, p99 float64) *latencySummary { return &latencySummary{Count: 10, P50Ms: p50, P99Ms: p99} }
	const xadd = "XADD 1 client x1"
	rs := []Result{
		{Workload: "publish", Test: xadd, System: baseSystem, MsgsPerSec: 10, Latency: lat(1, 5), Run: 1},
		{Workload: "publish", Test: xadd, System: "rewind", MsgsPerSec: 300, Latency: lat(3, 9), Run: 1},
		{Workload: "publish", Test: xadd, System: "rewind", MsgsPerSec: 100, Latency: lat(1, 7), Run: 2},
		{Workload: "publish", Test: xadd, System: baseSystem, MsgsPerSec: 30, Latency: lat(2, 8), Run: 2},
		{Workload: "publish", Test: xadd, System: "rewind", MsgsPerSec: 200, Latency: lat(2, 8), Run: 3},
		{Workload: "publish", Test: xadd, System: baseSystem, Error: "boom", Run: 3},
		{Workload: "memory", Test: testEntryDisk, System: "rewind", Error: "first", Run: 1},
		{Workload: "memory", Test: testEntryDisk, System: "rewind", Error: "second", Run: 2},
		{Workload: "memory", Test: testEntryStore, System: "rewind", MemBytes: 90, MemUnit: "B/entry disk",
			Extra: map[string]any{"dir_bytes": 9}, Run: 1},
		{Workload: "memory", Test: testEntryStore, System: "rewind", MemBytes: 94, MemUnit: "B/entry disk", Run: 2},
	}
	var got []string
	for _, m := range medianResults(rs) {
		line := fmt.Sprintf("%s|%s|runs %d|%g|%g %s|%q", m.key(), m.System, m.Runs, m.MsgsPerSec, m.MemBytes, m.MemUnit, m.Error)
		if m.Latency != nil {
			line += fmt.Sprintf("|p50 %g p99 %g", m.Latency.P50Ms, m.Latency.P99Ms)
		}
		if m.Run != 0 || m.Extra != nil {
			t.Errorf("%s on %s: median keeps run %d, extra %v", m.key(), m.System, m.Run, m.Extra)
		}
		got = append(got, line)
	}
	want := []string{
		`publish XADD 1 client x1|rewind|runs 3|200|0 |""|p50 2 p99 8`,
		`publish XADD 1 client x1|rewind-base|runs 2|20|0 |""|p50 1.5 p99 6.5`,
		`memory bytes/entry on disk|rewind|runs 0|0|0 |"first"`,
		`memory bytes/entry stored|rewind|runs 2|0|92 B/entry disk|""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("medianResults:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := medianOf([]float64{}, func(v float64) float64 { return v }); got != 0 {
		t.Errorf("medianOf(nothing) = %v, want 0", got)
	}
}

func TestComputeRatiosWithBase(t *testing.T) {
	const test = "XADD 32 clients x100"
	rs := []Result{
		{Workload: "publish", Test: test, System: "rewind", MsgsPerSec: 1100},
		{Workload: "publish", Test: test, System: baseSystem, MsgsPerSec: 1000},
		{Workload: "publish", Test: test, System: "redis-always", MsgsPerSec: 500},
		{Workload: "replay", Test: testCLIDir, System: "rewind", MsgsPerSec: 90},
		{Workload: "replay", Test: testCLIDir, System: baseSystem, MsgsPerSec: 100},
	}
	var got []string
	for _, r := range computeRatios(rs) {
		got = append(got, fmt.Sprintf("%s|%s/%s|%.2f", r.Test, r.System, r.Against, r.Ratio))
	}
	want := []string{
		test + "|rewind/rewind-base|1.10",
		test + "|rewind/redis-always|2.20",
		test + "|rewind-base/redis-always|2.00",
		testCLIDir + "|rewind/rewind-base|0.90",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("computeRatios:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSystemsWithBase(t *testing.T) {
	cases := []struct {
		args []string
		want string // systems, or "error"
	}{
		{nil, "rewind,redis-always,redis-everysec,redis-nopersist"},
		{[]string{"--rewind-base", "old"}, "rewind,rewind-base,redis-always,redis-everysec,redis-nopersist"},
		{[]string{"--systems", "rewind", "--rewind-base", "old"}, "rewind,rewind-base"},
		{[]string{"--systems", "rewind,rewind-base,redis-always", "--rewind-base", "old"}, "rewind,rewind-base,redis-always"},
		{[]string{"--systems", "rewind-base"}, "error"},
		{[]string{"--runs", "0"}, "error"},
	}
	for _, tc := range cases {
		o, err := parseFlags(tc.args, io.Discard, io.Discard)
		got := strings.Join(o.Systems, ",")
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("%q: systems %s (%v), want %s", tc.args, got, err, tc.want)
		}
	}
}

// TestSmokeComparesBuilds runs one rewind binary as both rewind and
// rewind-base twice and checks the medians and the before/after ratios.
func TestSmokeComparesBuilds(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH to build rewind")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rewind")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/rewind-mq/rewind/cmd/rewind").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	jsonPath := filepath.Join(dir, "bench.json")
	var out, errOut bytes.Buffer
	args := []string{"--smoke", "--duration", "50ms", "--systems", "rewind", "--workloads", "publish,replay",
		"--rewind", bin, "--rewind-base", bin, "--runs", "2", "--json", jsonPath}
	if code := Main(args, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errOut.String())
	}
	for _, want := range []string{"run 1/2: ", "run 2/2: "} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("progress does not say %q:\n%s", want, errOut.String())
		}
	}
	for _, want := range []string{"median of 2 runs", "rewind (base)", "rewind vs rewind-base"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout does not contain %q:\n%s", want, out.String())
		}
	}
	rep := readReport(t, jsonPath)
	if rep.Options.Runs != 2 || strings.Join(rep.Options.Systems, ",") != "rewind,rewind-base" {
		t.Fatalf("options: runs %d, systems %v", rep.Options.Runs, rep.Options.Systems)
	}
	checkRunsInterleaved(t, rep.RunResults)
	checkMedians(t, rep)
	checkBaseRatios(t, rep)
}

// checkRunsInterleaved checks that every test ran on both systems in both
// runs without error, in opposite orders.
func checkRunsInterleaved(t *testing.T, runResults []Result) {
	t.Helper()
	order := map[string][]string{} // test -> "run:system" in recording order
	for _, r := range runResults {
		if r.Error != "" {
			t.Errorf("%s on %s, run %d: %s", r.key(), r.System, r.Run, r.Error)
		}
		order[r.key()] = append(order[r.key()], fmt.Sprintf("%d:%s", r.Run, r.System))
	}
	for _, test := range []string{"publish XADD 32 clients x100", "replay " + testCLIServer, "replay " + testCLIDir} {
		if _, ok := order[test]; !ok {
			t.Errorf("no run results for %s", test)
		}
	}
	for test, got := range order {
		if strings.Join(got, " ") != "1:rewind 1:rewind-base 2:rewind-base 2:rewind" {
			t.Errorf("%s ran as %v, want rewind first in run 1 and rewind-base first in run 2", test, got)
		}
	}
}

// checkMedians checks that each row of the report is the median of its runs.
func checkMedians(t *testing.T, rep Report) {
	t.Helper()
	runs := map[string][]Result{}
	for _, r := range rep.RunResults {
		runs[r.key()+"|"+r.System] = append(runs[r.key()+"|"+r.System], r)
	}
	if len(rep.Results) != len(runs) {
		t.Errorf("%d medians for %d tests and systems", len(rep.Results), len(runs))
	}
	for _, m := range rep.Results {
		rs := runs[m.key()+"|"+m.System]
		if len(rs) != 2 || m.Runs != 2 || m.Run != 0 {
			t.Errorf("%s on %s: median of %d runs (runs %d, run %d), want 2", m.key(), m.System, len(rs), m.Runs, m.Run)
			continue
		}
		want := (rs[0].MsgsPerSec + rs[1].MsgsPerSec) / 2
		if m.MsgsPerSec <= 0 || math.Abs(m.MsgsPerSec-want) > 1e-9*want {
			t.Errorf("%s on %s: median %v msgs/s, runs %v and %v", m.key(), m.System, m.MsgsPerSec, rs[0].MsgsPerSec, rs[1].MsgsPerSec)
		}
		if m.Latency != nil && m.Latency.P99Ms != (rs[0].Latency.P99Ms+rs[1].Latency.P99Ms)/2 {
			t.Errorf("%s on %s: median p99 %v, runs %v and %v", m.key(), m.System, m.Latency.P99Ms, rs[0].Latency.P99Ms, rs[1].Latency.P99Ms)
		}
	}
}

// checkBaseRatios checks that every test has one rewind/rewind-base ratio,
// computed from the medians.
func checkBaseRatios(t *testing.T, rep Report) {
	t.Helper()
	medians := map[string]float64{}
	for _, m := range rep.Results {
		v, _, _ := m.metric()
		medians[m.key()+"|"+m.System] = v
	}
	ratios := map[string]int{}
	for _, r := range rep.Ratios {
		key := r.Workload + " " + r.Test
		if r.System != "rewind" || r.Against != baseSystem {
			t.Errorf("%s: unexpected ratio %s / %s", key, r.System, r.Against)
			continue
		}
		ratios[key]++
		if want := medians[key+"|rewind"] / medians[key+"|"+baseSystem]; r.Ratio != want {
			t.Errorf("%s: ratio %v, want %v from the medians", key, r.Ratio, want)
		}
	}
	for _, m := range rep.Results {
		if ratios[m.key()] != 1 {
			t.Errorf("%s: %d rewind/rewind-base ratios, want 1", m.key(), ratios[m.key()])
		}
	}
}
