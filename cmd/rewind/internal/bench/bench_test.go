package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// render prints the parsed value at i compactly, for comparisons.
func render(rd *reader, i int) string {
	v := rd.vals[i]
	switch {
	case v.null:
		return "nil"
	case v.kind == ':':
		return fmt.Sprint(v.num)
	case v.kind == '-' || v.kind == '!':
		return fmt.Sprintf("ERR(%s)", v.str)
	case v.kind == '*' || v.kind == '>' || v.kind == '~' || v.kind == '%':
		var parts []string
		for j := i + 1; j < v.end; j = rd.vals[j].end {
			parts = append(parts, render(rd, j))
		}
		return string(v.kind) + "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprintf("%q", v.str)
}

var replyCases = []struct {
	name, in, want string
	isErr          bool
}{
	{"simple", "+OK\r\n", `"OK"`, false},
	{"error", "-ERR wrong type\r\n", "ERR(ERR wrong type)", true},
	{"integer", ":-42\r\n", "-42", false},
	{"bulk", "$5\r\nhello\r\n", `"hello"`, false},
	{"bulk binary", "$4\r\na\r\nb\r\n", `"a\r\nb"`, false},
	{"empty bulk", "$0\r\n\r\n", `""`, false},
	{"null bulk", "$-1\r\n", "nil", false},
	{"null array", "*-1\r\n", "nil", false},
	{"empty array", "*0\r\n", "*[]", false},
	{"nested array", "*2\r\n*2\r\n$2\r\nid\r\n:1\r\n$1\r\nx\r\n", `*[*["id" 1] "x"]`, false},
	{"xrange entry", "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n", `*[*["1-1" *["message" "hi"]]]`, false},
	{"error inside array", "*2\r\n:1\r\n-ERR no\r\n", "*[1 ERR(ERR no)]", true},
	{"resp3 push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n", `>["message" "ch" "abc"]`, false},
	{"resp3 map", "%1\r\n$1\r\nk\r\n*0\r\n", `%["k" *[]]`, false},
	{"resp3 set", "~2\r\n:1\r\n:2\r\n", "~[1 2]", false},
	{"resp3 null", "_\r\n", "nil", false},
	{"resp3 double", ",3.14\r\n", `"3.14"`, false},
	{"resp3 bool", "#t\r\n", `"t"`, false},
	{"resp3 big number", "(123456789012345678901234567890\r\n", `"123456789012345678901234567890"`, false},
	{"resp3 verbatim", "=8\r\ntxt:abcd\r\n", `"txt:abcd"`, false},
	{"resp3 blob error", "!7\r\nERR bad\r\n", "ERR(ERR bad)", true},
	{"resp3 attribute", "|1\r\n$3\r\nttl\r\n:5\r\n+OK\r\n", `"OK"`, false},
}

func TestReadReply(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			rd := newReader(strings.NewReader(tc.in+"+NEXT\r\n"), 16)
			if err := rd.readReply(); err != nil {
				t.Fatalf("readReply(%q): %v", tc.in, err)
			}
			if got := render(rd, 0); got != tc.want {
				t.Errorf("readReply(%q) = %s, want %s", tc.in, got, tc.want)
			}
			if rd.vals[0].end != len(rd.vals) {
				t.Errorf("root end = %d, want %d", rd.vals[0].end, len(rd.vals))
			}
			expectNext(t, rd)
		})
	}
}

func TestSkipReply(t *testing.T) {
	for _, tc := range replyCases {
		t.Run(tc.name, func(t *testing.T) {
			rd := newReader(strings.NewReader(tc.in+"+NEXT\r\n"), 16)
			err := rd.skipReply()
			var re *replyError
			if tc.isErr != errors.As(err, &re) || (!tc.isErr && err != nil) {
				t.Fatalf("skipReply(%q) = %v, want reply error: %v", tc.in, err, tc.isErr)
			}
			expectNext(t, rd)
		})
	}
}

// expectNext checks that exactly one reply was consumed.
func expectNext(t *testing.T, rd *reader) {
	t.Helper()
	if err := rd.readReply(); err != nil || string(rd.vals[0].str) != "NEXT" {
		t.Errorf("after the reply: got %q, %v; want the next reply", rd.vals[0].str, err)
	}
}

func TestReadReplyMalformed(t *testing.T) {
	for _, in := range []string{"?x\r\n", "+OK\n", ":12a\r\n", "$abc\r\n", "*x\r\n", "$5\r\nab", ":99999999999999999999\r\n", "$-\r\n"} {
		rd := newReader(strings.NewReader(in), 16)
		if err := rd.readReply(); err == nil {
			t.Errorf("readReply(%q) succeeded, want an error", in)
		}
		rd = newReader(strings.NewReader(in), 16)
		var re *replyError
		if err := rd.skipReply(); err == nil || errors.As(err, &re) {
			t.Errorf("skipReply(%q) = %v, want a protocol or I/O error", in, err)
		}
	}
}

func TestReaderChildAndField(t *testing.T) {
	rd := newReader(strings.NewReader("*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$7\r\nmessage\r\n$2\r\nhi\r\n"), 64)
	if err := rd.readReply(); err != nil {
		t.Fatal(err)
	}
	if id := rd.vals[rd.child(0, 0)].str; string(id) != "1-1" {
		t.Errorf("child 0 = %q", id)
	}
	if rd.child(0, 2) != -1 {
		t.Errorf("child 2 of a 2-element array = %d, want -1", rd.child(0, 2))
	}
	if got := fieldValue(rd, rd.child(0, 1), "message"); string(got) != "hi" {
		t.Errorf("fieldValue(message) = %q, want hi", got)
	}
	if got := fieldValue(rd, rd.child(0, 1), "missing"); got != nil {
		t.Errorf("fieldValue(missing) = %q, want nil", got)
	}
}

// loopReader returns the same bytes forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func TestParserDoesNotAllocate(t *testing.T) {
	page := []byte("*2\r\n*2\r\n$15\r\n1700000000000-0\r\n*2\r\n$7\r\nmessage\r\n$5\r\nhello\r\n" +
		"*2\r\n$15\r\n1700000000000-1\r\n*2\r\n$7\r\nmessage\r\n$5\r\nworld\r\n")
	rd := newReader(&loopReader{data: page}, 4096)
	if n := testing.AllocsPerRun(1000, func() { _ = rd.readReply() }); n != 0 {
		t.Errorf("readReply allocates %v times per reply", n)
	}
	if n := testing.AllocsPerRun(1000, func() { _ = rd.skipReply() }); n != 0 {
		t.Errorf("skipReply allocates %v times per reply", n)
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(encodeWrite("XADD", "ch", []byte("p")))
	want := "*5\r\n$4\r\nXADD\r\n$2\r\nch\r\n$1\r\n*\r\n$7\r\nmessage\r\n$1\r\np\r\n"
	if got != want {
		t.Errorf("encodeWrite(XADD) = %q, want %q", got, want)
	}
	if got := string(appendCommand(nil, "PING")); got != "*1\r\n$4\r\nPING\r\n" {
		t.Errorf("appendCommand(PING) = %q", got)
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
