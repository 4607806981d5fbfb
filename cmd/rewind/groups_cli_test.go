package main

// End-to-end tests of rewind groups, rewind pending and rewind subscribe
// --group, against a real `rewind serve` process (the shared one of
// cli_test.go; every test uses channels of its own).

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// groupClient is a connection for setting up and checking group state.
type groupClient struct {
	t testing.TB
	c *respclient.Conn
}

func newGroupClient(t testing.TB, srv *cliServer) *groupClient {
	t.Helper()
	c, err := dial(context.Background(), srv.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &groupClient{t: t, c: c}
}

// do runs a command that must succeed and returns its reply as a string
// ("OK", "3", "[...]").
func (g *groupClient) do(args ...string) string {
	g.t.Helper()
	rp, err := g.c.Do(args...)
	if err != nil {
		g.t.Fatalf("%v: %v", args, err)
	}
	return rp.String()
}

// pendingCount is XPENDING's summary count.
func (g *groupClient) pendingCount(channel, group string) int64 {
	g.t.Helper()
	rp, err := g.c.Do("XPENDING", channel, group)
	if err != nil || !rp.IsAggregate(0) || rp.Int(0) != 4 {
		g.t.Fatalf("XPENDING %s %s: %v %v", channel, group, err, rp)
	}
	return rp.Int(1)
}

// pendingIDs is the extended XPENDING: "id consumer deliveries" per entry.
func (g *groupClient) pendingIDs(channel, group string) []string {
	g.t.Helper()
	rp, err := g.c.Do("XPENDING", channel, group, "-", "+", "100")
	if err != nil {
		g.t.Fatal(err)
	}
	var out []string
	for _, e := range parsePendingEntries(rp) {
		out = append(out, e.ID+" "+e.Consumer+" "+strconv.FormatInt(e.Deliveries, 10))
	}
	return out
}

// setupGroups makes channel gcli.orders (entries 1-0 … 6-0) with two
// groups: billing (a redelivery policy; w1 holds 1-0 and 3-0, w2 holds 4-0,
// 2-0 acknowledged) and mail (at $, nothing read).
func setupGroups(t *testing.T, srv *cliServer) string {
	const ch = "gcli.orders"
	var entries [][]string
	for i := 1; i <= 6; i++ {
		entries = append(entries, []string{strconv.Itoa(i) + "-0", "message", "m" + strconv.Itoa(i)})
	}
	seedEntries(t, srv.addr(), ch, entries)
	g := newGroupClient(t, srv)
	g.do("XGROUP", "CREATE", ch, "billing", "0", "ENTRIESREAD", "0",
		"ACKWAIT", "60000", "BACKOFF", "1000,5000", "MAXDELIVER", "5", "DEADLETTER", "gcli.dlq")
	g.do("XGROUP", "CREATE", ch, "mail", "$")
	g.do("XREADGROUP", "GROUP", "billing", "w1", "COUNT", "3", "STREAMS", ch, ">")
	g.do("XREADGROUP", "GROUP", "billing", "w2", "COUNT", "1", "STREAMS", ch, ">")
	if got := g.do("XACK", ch, "billing", "2-0"); got != "1" {
		t.Fatalf("XACK: %s", got)
	}
	return ch
}

var (
	setupGroupsOnce sync.Once // the shared server outlives each test
	groupsChannel   string
)

func groupsServer(t *testing.T) (*cliServer, string) {
	srv := sharedServer(t)
	setupGroupsOnce.Do(func() { groupsChannel = setupGroups(t, srv) })
	return srv, groupsChannel
}

// checkAligned checks that every line of a table has its columns where the
// header has them.
func checkAligned(t *testing.T, table string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	header := lines[0]
	var starts []int
	for i := range header {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	for _, l := range lines[1:] {
		for _, s := range starts {
			if len(l) <= s || l[s] == ' ' || (s > 0 && l[s-1] != ' ') {
				t.Errorf("column at %d not aligned in %q (header %q)", s, l, header)
				break
			}
		}
	}
}

func TestGroupsCommand(t *testing.T) {
	srv, ch := groupsServer(t)
	out := mustRun(t, "", srv.on("groups", ch)...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("groups printed %d lines:\n%s", len(lines), out)
	}
	if want := regexp.MustCompile(`^GROUP +CONSUMERS +PENDING +LAG +READ +LAST-DELIVERED +OLDEST-PENDING +OLDEST-IDLE +POLICY$`); !want.MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	billing := regexp.MustCompile(`^billing +2 +3 +2 +4 +4-0 +1-0 +[0-9.]+(ms|s) +ackwait=1m backoff=1s,5s maxdeliver=5 deadletter=gcli\.dlq$`)
	if !billing.MatchString(lines[1]) {
		t.Errorf("billing line %q", lines[1])
	}
	if mail := regexp.MustCompile(`^mail +0 +0 +0 +6 +6-0 +- +- +-$`); !mail.MatchString(lines[2]) {
		t.Errorf("mail line %q", lines[2])
	}
	checkAligned(t, out)

	out = mustRun(t, "", srv.on("groups", ch, "--format", "json")...)
	lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("groups --format json printed:\n%s", out)
	}
	var rows []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		rows = append(rows, m)
	}
	oldest, _ := rows[0]["oldest_pending"].(map[string]any)
	if oldest == nil || oldest["id"] != "1-0" || oldest["consumer"] != "w1" || oldest["deliveries"] != 1.0 {
		t.Errorf("billing oldest_pending: %v", rows[0]["oldest_pending"])
	}
	if idle, _ := oldest["idle_ms"].(float64); idle < 0 || idle > 60_000 {
		t.Errorf("billing oldest idle_ms %v", oldest["idle_ms"])
	}
	delete(rows[0], "oldest_pending")
	want := []map[string]any{
		{"channel": ch, "group": "billing", "consumers": 2.0, "pending": 3.0, "lag": 2.0, "entries_read": 4.0,
			"last_delivered_id": "4-0", "lost_entries": 0.0,
			"policy": map[string]any{"ackwait_ms": 60000.0, "backoff_ms": []any{1000.0, 5000.0}, "maxdeliver": 5.0, "deadletter": "gcli.dlq"}},
		{"channel": ch, "group": "mail", "consumers": 0.0, "pending": 0.0, "lag": 0.0, "entries_read": 6.0,
			"last_delivered_id": "6-0", "oldest_pending": nil, "lost_entries": 0.0,
			"policy": map[string]any{"ackwait_ms": 0.0, "backoff_ms": []any{}, "maxdeliver": 0.0, "deadletter": nil}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("groups --format json:\n got %v\nwant %v", rows, want)
	}
}

// freshChannel is a channel name no other run of the test (-count) used.
func freshChannel(base string) string {
	return base + "." + strconv.FormatInt(time.Now().UnixNano(), 36)
}

func TestGroupsLostEntries(t *testing.T) {
	srv := sharedServer(t)
	ch := freshChannel("gcli.lost")
	seedEntries(t, srv.addr(), ch, [][]string{{"1-0", "m", "1"}, {"2-0", "m", "2"}, {"3-0", "m", "3"}, {"4-0", "m", "4"}, {"5-0", "m", "5"}})
	g := newGroupClient(t, srv)
	g.do("XGROUP", "CREATE", ch, "slow", "0", "ENTRIESREAD", "0")
	g.do("XTRIM", ch, "MAXLEN", "2")
	out := mustRun(t, "", srv.on("groups", ch)...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], " LOST ") || !regexp.MustCompile(` 3 +-$`).MatchString(lines[1]) {
		t.Errorf("groups of a trimmed channel shows no LOST column with 3:\n%s", out)
	}
	checkAligned(t, out)
	if out := mustRun(t, "", srv.on("groups", ch, "--format", "json")...); !strings.Contains(out, `"lost_entries":3`) {
		t.Errorf("groups --format json: %s", out)
	}
	// A channel without groups says so on stderr.
	bare := freshChannel("gcli.nogroups")
	seedEntries(t, srv.addr(), bare, [][]string{{"1-0", "m", "1"}})
	stdout, stderr, code := runCLI(t, "", srv.on("groups", bare)...)
	if code != 0 || stdout != "" || !strings.Contains(stderr, `channel "`+bare+`" has no consumer groups`) {
		t.Errorf("groups of a channel without groups: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestPendingCommand(t *testing.T) {
	srv, ch := groupsServer(t)
	stdout, stderr, code := runCLI(t, "", srv.on("pending", ch, "billing")...)
	if code != 0 || stderr != "" {
		t.Fatalf("pending: exit %d, stderr %q", code, stderr)
	}
	tables := strings.Split(stdout, "\n\n")
	if len(tables) != 2 {
		t.Fatalf("pending printed no two tables:\n%s", stdout)
	}
	entries := regexp.MustCompile(`^ID +CONSUMER +IDLE +DELIVERIES\n` +
		`1-0 +w1 +[0-9.]+(ms|s) +1\n` +
		`3-0 +w1 +[0-9.]+(ms|s) +1\n` +
		`4-0 +w2 +[0-9.]+(ms|s) +1$`)
	if !entries.MatchString(tables[0]) {
		t.Errorf("pending entries:\n%s", tables[0])
	}
	consumers := regexp.MustCompile(`^CONSUMER +PENDING +IDLE +INACTIVE\n` +
		`w1 +2 +[0-9.]+(ms|s) +[0-9.]+(ms|s)\n` +
		`w2 +1 +[0-9.]+(ms|s) +[0-9.]+(ms|s)\n$`)
	if !consumers.MatchString(tables[1]) {
		t.Errorf("pending consumers:\n%s", tables[1])
	}
	checkAligned(t, tables[0])
	checkAligned(t, tables[1])

	// --consumer, --count and --idle.
	out := mustRun(t, "", srv.on("pending", ch, "billing", "--consumer", "w2")...)
	if !regexp.MustCompile(`^ID .*\n4-0 +w2 .* 1\n\nCONSUMER .*\nw2 +1 .*\n$`).MatchString(out) {
		t.Errorf("pending --consumer w2:\n%s", out)
	}
	stdout, stderr, _ = runCLI(t, "", srv.on("pending", ch, "billing", "--count", "2")...)
	if !strings.Contains(stdout, "\n3-0 ") || strings.Contains(stdout, "\n4-0 ") ||
		!strings.Contains(stderr, "showing the oldest 2 of 3 pending entries") {
		t.Errorf("pending --count 2: stdout\n%s\nstderr %q", stdout, stderr)
	}
	stdout, stderr, _ = runCLI(t, "", srv.on("pending", ch, "billing", "--idle", "1h")...)
	if strings.Contains(stdout, "DELIVERIES") || !strings.HasPrefix(stdout, "CONSUMER") || !strings.Contains(stderr, "no entries pending for 1h0m0s or more (3 pending in all)") {
		t.Errorf("pending --idle 1h: stdout\n%s\nstderr %q", stdout, stderr)
	}
	if out := mustRun(t, "", srv.on("pending", ch, "billing", "--idle", "1ms", "--count", "0")...); strings.Count(out, "-0 ") != 3 {
		t.Errorf("pending --idle 1ms --count 0:\n%s", out)
	}

	out = mustRun(t, "", srv.on("pending", ch, "billing", "--format", "json")...)
	idle := regexp.MustCompile(`"(idle_ms|inactive_ms)":[0-9]+`)
	got := idle.ReplaceAllString(out, `"$1":N`)
	want := `{"type":"entry","id":"1-0","consumer":"w1","idle_ms":N,"deliveries":1}
{"type":"entry","id":"3-0","consumer":"w1","idle_ms":N,"deliveries":1}
{"type":"entry","id":"4-0","consumer":"w2","idle_ms":N,"deliveries":1}
{"type":"consumer","consumer":"w1","pending":2,"idle_ms":N,"inactive_ms":N}
{"type":"consumer","consumer":"w2","pending":1,"idle_ms":N,"inactive_ms":N}
`
	if got != want {
		t.Errorf("pending --format json:\n got %s\nwant %s", got, want)
	}
	// A group with nothing pending.
	stdout, stderr, code = runCLI(t, "", srv.on("pending", ch, "mail")...)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "no pending entries") {
		t.Errorf("pending of an idle group: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestSubscribeGroupAck(t *testing.T) {
	srv := sharedServer(t)
	ch := freshChannel("gcli.work")
	seedEntries(t, srv.addr(), ch, [][]string{
		{"1-0", "message", "m1"}, {"2-0", "message", "m2"}, {"3-0", "a", "1", "b", "2"},
		{"4-0", "message", "m4"}, {"5-0", "message", "m5"}, {"6-0", "message", "m6"},
	})
	g := newGroupClient(t, srv)

	// --ack: exactly what was printed is acknowledged.
	stdout, stderr, code := runCLI(t, "", srv.on("subscribe", ch, "--group", "g", "--create", "--from-start", "--ack", "--count", "3", "--consumer", "c1")...)
	if code != 0 || stdout != "1-0\tm1\n2-0\tm2\n3-0\ta=1 b=2\n" {
		t.Fatalf("subscribe --group --ack --count 3: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "created group g at the channel's first entry") ||
		!strings.Contains(stderr, "reading "+ch+" as consumer c1 of group g, acknowledging each entry once printed") {
		t.Errorf("stderr %q", stderr)
	}
	if n := g.pendingCount(ch, "g"); n != 0 {
		t.Errorf("after --ack: %d pending, want 0", n)
	}

	// Without --ack the entries stay pending, held by the consumer.
	stdout = mustRun(t, "", srv.on("subscribe", ch, "--group", "g", "--count", "2", "--consumer", "c2")...)
	if stdout != "4-0\tm4\n5-0\tm5\n" {
		t.Errorf("subscribe --group --count 2 printed %q", stdout)
	}
	if got, want := g.pendingIDs(ch, "g"), []string{"4-0 c2 1", "5-0 c2 1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pending after a read without --ack: %v, want %v", got, want)
	}

	// Once the group has an ACKWAIT, they are delivered again, with their
	// delivery count, before the new entry.
	g.do("XGROUP", "SETCONFIG", ch, "g", "ACKWAIT", "50")
	time.Sleep(100 * time.Millisecond)
	stdout = mustRun(t, "", srv.on("subscribe", ch, "--group", "g", "--count", "3", "--consumer", "c3", "--ack", "--format", "json")...)
	want := strings.ReplaceAll(`{"id":"4-0","channel":"CH","fields":{"message":"m4"},"deliveries":2}
{"id":"5-0","channel":"CH","fields":{"message":"m5"},"deliveries":2}
{"id":"6-0","channel":"CH","fields":{"message":"m6"},"deliveries":1}
`, "CH", ch)
	if stdout != want {
		t.Errorf("redelivered entries:\n got %s\nwant %s", stdout, want)
	}
	if n := g.pendingCount(ch, "g"); n != 0 {
		t.Errorf("after the redelivery with --ack: %d pending, want 0", n)
	}

	// --create on an existing group keeps its position.
	seedEntries(t, srv.addr(), ch, [][]string{{"7-0", "message", "m7"}})
	stdout, stderr, code = runCLI(t, "", srv.on("subscribe", ch, "--group", "g", "--create", "--from-start", "--count", "1", "--ack")...)
	if code != 0 || stdout != "7-0\tm7\n" || !strings.Contains(stderr, "group g exists: it keeps its position") {
		t.Errorf("subscribe --create --from-start of an existing group: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestSubscribeGroupInterrupt(t *testing.T) {
	srv := sharedServer(t)
	ch := freshChannel("gcli.intr")
	g := newGroupClient(t, srv)
	sub := startCLI(t, srv.on("subscribe", ch, "--group", "live", "--create", "--ack", "--consumer", "c")...)
	if l := nextLine(t, sub.errs, "subscribe --group"); l != "created group live at the channel's end" {
		t.Fatalf("stderr %q", l)
	}
	nextLine(t, sub.errs, "subscribe --group") // reading …
	g.do("XADD", ch, "*", "message", "one")
	g.do("XADD", ch, "*", "message", "two")
	for _, want := range []string{"\tone", "\ttwo"} {
		if l := nextLine(t, sub.lines, "subscribe --group"); !strings.HasSuffix(l, want) {
			t.Fatalf("printed %q, want suffix %q", l, want)
		}
	}
	_ = sub.cmd.Process.Signal(os.Interrupt)
	if code := sub.wait(t); code != 0 {
		t.Fatalf("subscribe --group exited %d after Ctrl-C, want 0", code)
	}
	if n := g.pendingCount(ch, "live"); n != 0 {
		t.Errorf("after Ctrl-C: %d pending, want 0 (both printed entries acknowledged)", n)
	}
	// The consumer read nothing more than it printed: the group's cursor
	// is at the second entry.
	if out := mustRun(t, "", srv.on("groups", ch, "--format", "json")...); !strings.Contains(out, `"lag":0,"entries_read":2,`) {
		t.Errorf("groups after the interrupted consumer: %s", out)
	}
}

func TestGroupCommandErrors(t *testing.T) {
	srv, ch := groupsServer(t)
	closed := strconv.Itoa(cliFreePort(t))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"groups"}, 2, "missing CHANNEL"},
		{[]string{"groups", "a", "b"}, 2, "one CHANNEL only"},
		{[]string{"groups", "a", "--format", "xml"}, 2, `--format must be text or json, not "xml"`},
		{[]string{"groups", "a", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"groups", "a", "-p", closed}, 1, "cannot connect"},
		{srv.on("groups", "gcli.missing"), 1, `rewind groups: no channel "gcli.missing" on 127.0.0.1:`},
		{[]string{"pending"}, 2, "missing CHANNEL and GROUP"},
		{[]string{"pending", "a"}, 2, "missing GROUP"},
		{[]string{"pending", "a", "g", "x"}, 2, "one CHANNEL and one GROUP only"},
		{[]string{"pending", "a", "g", "--idle", "soon"}, 2, `invalid argument "soon" for "--idle"`},
		{[]string{"pending", "a", "g", "--idle", "-1s"}, 2, "--idle must be positive"},
		{[]string{"pending", "a", "g", "--count", "-1"}, 2, "--count must be positive"},
		{srv.on("pending", "gcli.missing", "g"), 1, `rewind pending: no channel "gcli.missing"`},
		{srv.on("pending", ch, "nope"), 1, `channel "gcli.orders" has no group "nope" (its groups: billing, mail)`},
		{srv.on("pending", ch, "billing", "--consumer", "w9"), 1, `group "billing" of channel "gcli.orders" has no consumer "w9" (its consumers: w1, w2)`},
		{[]string{"subscribe", "a", "--ack"}, 2, "--ack needs --group"},
		{[]string{"subscribe", "a", "--consumer", "c"}, 2, "--consumer needs --group"},
		{[]string{"subscribe", "a", "--group", ""}, 2, "--group needs a non-empty GROUP"},
		{[]string{"subscribe", "a", "b", "--group", "g"}, 2, "--group reads one CHANNEL, got 2"},
		{[]string{"subscribe", "a*", "--group", "g", "--pattern"}, 2, "does not take --pattern"},
		{[]string{"subscribe", "a", "--group", "g", "--from-start"}, 2, "--from-start needs --create"},
		{[]string{"subscribe", "a", "--group", "g", "--count", "-2"}, 2, "--count must be positive"},
		{srv.on("subscribe", ch, "--group", "nope"), 1, `channel "gcli.orders" has no group "nope" (--create creates it)`},
		{srv.on("subscribe", "gcli.missing", "--group", "g"), 1, `channel "gcli.missing" has no group "g"`},
	} {
		_, stderr, code := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("rewind %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestGroupCommandsHelp(t *testing.T) {
	for _, cmd := range []string{"groups", "pending", "subscribe"} {
		stdout, _, code := runCLI(t, "", cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Usage: rewind "+cmd) || !strings.Contains(stdout, "-h, --host") || !strings.Contains(stdout, "--format") {
			t.Errorf("rewind %s --help: exit %d, output %q", cmd, code, stdout)
		}
	}
	if stdout, _, _ := runCLI(t, "", "--help"); !strings.Contains(stdout, "\n  groups ") || !strings.Contains(stdout, "\n  pending ") {
		t.Errorf("rewind --help does not list groups and pending:\n%s", stdout)
	}
}

func TestFmtAge(t *testing.T) {
	for ms, want := range map[int64]string{
		-5: "0ms", 0: "0ms", 999: "999ms", 1000: "1.0s", 12_345: "12.3s", 60_000: "1m00s", 303_000: "5m03s",
		7_500_000: "2h05m", 3*86_400_000 + 4*3_600_000: "3d04h",
	} {
		if got := fmtAge(ms); got != want {
			t.Errorf("fmtAge(%d) = %q, want %q", ms, got, want)
		}
	}
	for ms, want := range map[int64]string{500: "500ms", 1000: "1s", 1500: "1.5s", 60_000: "1m", 90_000: "1m30s", 3_600_000: "1h", 5_400_000: "1h30m"} {
		if got := fmtMs(ms); got != want {
			t.Errorf("fmtMs(%d) = %q, want %q", ms, got, want)
		}
	}
}
