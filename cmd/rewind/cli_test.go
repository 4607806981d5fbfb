package main

// End-to-end tests of publish, subscribe and replay: the rewind binary is
// built once, real servers run as real processes, and every command runs as
// a user would run it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var rewindBin string // built by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rewind-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rewindBin = filepath.Join(dir, "rewind")
	build := exec.Command("go", "build", "-o", rewindBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building rewind:", err)
		os.Exit(1)
	}
	code := m.Run()
	cliShared.srv.stop()
	if cliShared.dir != "" {
		_ = os.RemoveAll(cliShared.dir)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// cliServer is a `rewind serve` process.
type cliServer struct {
	cmd    *exec.Cmd
	dir    string
	port   int
	stderr bytes.Buffer
	done   chan struct{}
	once   sync.Once
}

func cliFreePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCLIServer starts a server on a free port with its data in dir, and waits
// until it accepts connections.
func startCLIServer(t testing.TB, dir string) *cliServer {
	s := &cliServer{dir: dir, port: cliFreePort(t), done: make(chan struct{})}
	s.cmd = exec.Command(rewindBin, "serve", "--port", strconv.Itoa(s.port), "--dir", dir, "--log-level", "warn")
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			_ = nc.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("rewind serve exited: %s", s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			t.Fatalf("rewind serve did not listen within 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *cliServer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *cliServer) flags() []string { return []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port)} }

// stop sends SIGTERM and waits for the process to exit (it is killed after
// 10s).
func (s *cliServer) stop() {
	if s == nil {
		return
	}
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// cliShared is the server most tests use; TestMain stops it.
var cliShared struct {
	sync.Mutex
	srv *cliServer
	dir string
}

func sharedServer(t testing.TB) *cliServer {
	cliShared.Lock()
	defer cliShared.Unlock()
	if cliShared.srv == nil {
		dir, err := os.MkdirTemp("", "rewind-cli-data")
		if err != nil {
			t.Fatal(err)
		}
		cliShared.dir = dir
		cliShared.srv = startCLIServer(t, dir)
	}
	return cliShared.srv
}

// runCLI runs the binary to completion with stdin and returns its output and
// exit code.
func runCLI(t testing.TB, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rewindBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("rewind %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// mustRun runs the binary and fails the test unless it exits 0.
func mustRun(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, errOut, code := runCLI(t, stdin, args...)
	if code != 0 {
		t.Fatalf("rewind %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// background is a long-running command whose stdout and stderr lines are
// collected as they come.
type background struct {
	cmd   *exec.Cmd
	lines chan string // stdout
	errs  chan string // stderr
	done  chan struct{}
	code  int
}

func startCLI(t testing.TB, args ...string) *background {
	t.Helper()
	b := &background{cmd: exec.Command(rewindBin, args...), lines: make(chan string, 100), errs: make(chan string, 100), done: make(chan struct{})}
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	scan := func(r io.Reader, ch chan string) {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
		close(ch)
	}
	go scan(stdout, b.lines)
	go scan(stderr, b.errs)
	go func() {
		wg.Wait()
		err := b.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			b.code = ee.ExitCode()
		}
		close(b.done)
	}()
	t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
		<-b.done
	})
	return b
}

// nextLine returns the next line from ch, failing after a timeout.
func nextLine(t testing.TB, ch <-chan string, what string) string {
	t.Helper()
	select {
	case l, ok := <-ch:
		if !ok {
			t.Fatalf("%s: output ended", what)
		}
		return l
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: nothing within 10s", what)
	}
	return ""
}

func (b *background) wait(t testing.TB) int {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not exit within 10s")
	}
	return b.code
}

// seedEntries appends entries with explicit IDs through the CLI's own client.
func seedEntries(t testing.TB, addr string, channel string, entries [][]string) {
	t.Helper()
	c, err := dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, e := range entries {
		args := append([]string{"XADD", channel}, e...)
		if _, err := c.Do(args...); err != nil {
			t.Fatalf("XADD %v: %v", e, err)
		}
	}
}

// on returns the arguments of a client command against srv.
func (s *cliServer) on(cmd string, args ...string) []string {
	return append(append([]string{cmd}, args...), s.flags()...)
}

func TestPublishSubscribe(t *testing.T) {
	srv := sharedServer(t)
	text := startCLI(t, srv.on("subscribe", "ps1", "ps2", "--count", "3")...)
	json := startCLI(t, srv.on("subscribe", "ps*", "--pattern", "--format", "json", "--count", "2")...)
	if l := nextLine(t, text.errs, "subscribe"); l != "subscribed to ps1" {
		t.Fatalf("subscribe stderr: %q", l)
	}
	nextLine(t, text.errs, "subscribe") // ps2
	if l := nextLine(t, json.errs, "psubscribe"); l != "subscribed to ps*" {
		t.Fatalf("psubscribe stderr: %q", l)
	}

	if out := mustRun(t, "", srv.on("publish", "ps1", "hello", "tab\there")...); out != "2\n2\n" {
		t.Fatalf("publish printed %q, want two receivers twice", out)
	}
	if out := mustRun(t, "", srv.on("publish", "ps2", "--xadd", "third")...); !idLine.MatchString(out) {
		t.Fatalf("publish --xadd printed %q, want an ID", out)
	}
	for _, want := range []string{"ps1\thello", "ps1\ttab\there", "ps2\tthird"} {
		if got := nextLine(t, text.lines, "subscribe"); got != want {
			t.Errorf("subscribe printed %q, want %q", got, want)
		}
	}
	for _, want := range []string{
		`{"channel":"ps1","pattern":"ps*","payload":"hello"}`,
		`{"channel":"ps1","pattern":"ps*","payload":"tab\there"}`,
	} {
		if got := nextLine(t, json.lines, "psubscribe"); got != want {
			t.Errorf("subscribe --format json printed %q, want %q", got, want)
		}
	}
	if code := text.wait(t); code != 0 {
		t.Errorf("subscribe --count 3 exited %d", code)
	}
	if code := json.wait(t); code != 0 {
		t.Errorf("subscribe --pattern --count 2 exited %d", code)
	}
}

var idLine = regexp.MustCompile(`^[0-9]+-[0-9]+\n$`)

func TestSubscribeInterrupt(t *testing.T) {
	srv := sharedServer(t)
	sub := startCLI(t, srv.on("subscribe", "intr")...)
	nextLine(t, sub.errs, "subscribe")
	mustRun(t, "", srv.on("publish", "intr", "one")...)
	if got := nextLine(t, sub.lines, "subscribe"); got != "intr\tone" {
		t.Fatalf("got %q", got)
	}
	_ = sub.cmd.Process.Signal(os.Interrupt)
	if code := sub.wait(t); code != 0 {
		t.Fatalf("subscribe exited %d after Ctrl-C, want 0", code)
	}
}

func TestPublishStdin(t *testing.T) {
	srv := sharedServer(t)
	out := mustRun(t, "line one\nline two\r\n\nlast without newline", srv.on("publish", "stdin", "-", "--xadd")...)
	ids := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(ids) != 4 {
		t.Fatalf("publish - printed %q, want 4 IDs", out)
	}
	got := mustRun(t, "", srv.on("replay", "stdin")...)
	want := ids[0] + "\tline one\n" + ids[1] + "\tline two\n" + ids[2] + "\t\n" + ids[3] + "\tlast without newline\n"
	if got != want {
		t.Fatalf("replay after publish -:\n got %q\nwant %q", got, want)
	}
	// Many lines, pipelined: every one acknowledged, in order.
	var in strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&in, "m%d\n", i)
	}
	if out := mustRun(t, in.String(), srv.on("publish", "stdin-many", "-", "-q")...); out != "" {
		t.Fatalf("publish -q printed %q", out)
	}
	lines := strings.Split(mustRun(t, "", srv.on("replay", "stdin-many", "--last", "1")...), "\t")
	if len(lines) != 2 || lines[1] != "m4999\n" {
		t.Fatalf("last entry after 5000 lines: %q", lines)
	}
}

// replayEntries are the entries of the replay tests' channel: IDs 1000-0 to
// 1009-0 (in 1970, for --since), with a multi-field entry and a binary one.
var replayEntries = [][]string{
	{"1000-0", "message", "m0"},
	{"1001-0", "message", "m1"},
	{"1002-0", "a", "1", "b", "x y"},
	{"1003-0", "message", "quote\" and \\ and \n newline"},
	{"1004-0", "message", "m4"},
	{"1005-0", "message", "m5"},
	{"1006-0", "bin", "\xff\x00", "ok", "yes"},
	{"1007-0", "message", "m7"},
	{"1008-0", "\xfe", "name not utf-8"},
	{"1009-0", "message", "m9"},
}

// replayText is the text form of replayEntries[from:to].
func replayText(from, to int) string {
	var b strings.Builder
	for _, e := range replayEntries[from:to] {
		b.WriteString(e[0])
		b.WriteByte('\t')
		if len(e) == 3 && e[1] == "message" {
			b.WriteString(e[2])
		} else {
			for i := 1; i+1 < len(e); i += 2 {
				if i > 1 {
					b.WriteByte(' ')
				}
				b.WriteString(e[i] + "=" + e[i+1])
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var seedReplay sync.Once

func replayServer(t *testing.T) *cliServer {
	srv := sharedServer(t)
	seedReplay.Do(func() { seedEntries(t, srv.addr(), "hist", replayEntries) })
	return srv
}

func TestReplay(t *testing.T) {
	srv := replayServer(t)
	sinceMs := time.UnixMilli(1005).UTC().Format(time.RFC3339Nano)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"all", nil, replayText(0, 10)},
		{"from", []string{"--from", "1003"}, replayText(3, 10)},
		{"from exclusive", []string{"--from", "(1003-0"}, replayText(4, 10)},
		{"to", []string{"--to", "1002"}, replayText(0, 3)},
		{"from to", []string{"--from", "1002-0", "--to", "1004-0"}, replayText(2, 5)},
		{"last", []string{"--last", "3"}, replayText(7, 10)},
		{"last more than there are", []string{"--last", "50"}, replayText(0, 10)},
		{"last within from to", []string{"--from", "1001", "--to", "1005", "--last", "2"}, replayText(4, 6)},
		{"count", []string{"--count", "4"}, replayText(0, 4)},
		{"last and count", []string{"--last", "5", "--count", "2"}, replayText(5, 7)},
		{"since a time", []string{"--since", sinceMs}, replayText(5, 10)},
		{"since a duration", []string{"--since", "1h"}, ""},
		{"from $", []string{"--from", "$"}, ""},
		{"small pages", []string{"--page-entries", "3"}, replayText(0, 10)},
		{"small pages and count", []string{"--page-entries", "3", "--count", "7"}, replayText(0, 7)},
		{"small pages and last", []string{"--page-entries", "2", "--last", "5"}, replayText(5, 10)},
		{"no such channel", []string{"--from", "0"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			channel := "hist"
			if tc.name == "no such channel" {
				channel = "nothing-here"
			}
			got := mustRun(t, "", srv.on("replay", append([]string{channel}, tc.args...)...)...)
			if got != tc.want {
				t.Errorf("replay %v:\n got %q\nwant %q", tc.args, got, tc.want)
			}
		})
	}
}

func TestReplayJSON(t *testing.T) {
	srv := replayServer(t)
	got := mustRun(t, "", srv.on("replay", "hist", "--format", "json", "--from", "1002", "--to", "1008")...)
	want := `{"id":"1002-0","channel":"hist","fields":{"a":"1","b":"x y"}}
{"id":"1003-0","channel":"hist","fields":{"message":"quote\" and \\ and \n newline"}}
{"id":"1004-0","channel":"hist","fields":{"message":"m4"}}
{"id":"1005-0","channel":"hist","fields":{"message":"m5"}}
{"id":"1006-0","channel":"hist","fields":{"ok":"yes"},"fields_b64":{"bin":"/wA="}}
{"id":"1007-0","channel":"hist","fields":{"message":"m7"}}
{"id":"1008-0","channel":"hist","fields":{},"pairs_b64":["/g==","bmFtZSBub3QgdXRmLTg="]}
`
	if got != want {
		t.Errorf("replay --format json:\n got %s\nwant %s", got, want)
	}
}

func TestReplayOutputFile(t *testing.T) {
	srv := replayServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	stdout, stderr, code := runCLI(t, "", srv.on("replay", "hist", "-o", path)...)
	if code != 0 || stdout != "" {
		t.Fatalf("replay -o: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "10/10") {
		t.Errorf("replay -o drew no progress bar with 10/10 entries on stderr: %q", stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != replayText(0, 10) {
		t.Errorf("file holds %q", got)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, ".*")); len(names) != 0 {
		t.Errorf("temporary files left behind: %v", names)
	}
	// A failed replay leaves no file, not even a partial one.
	bad := filepath.Join(dir, "bad.txt")
	if _, _, code := runCLI(t, "", "replay", "hist", "-o", bad, "-p", strconv.Itoa(cliFreePort(t))); code != 1 {
		t.Errorf("replay from a closed port exited %d, want 1", code)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*bad*")); len(names) != 0 {
		t.Errorf("a failed replay left %v", names)
	}
	// Without -o, and with stderr not a terminal, there is no progress bar.
	if _, stderr, _ := runCLI(t, "", srv.on("replay", "hist")...); stderr != "" {
		t.Errorf("replay to a pipe wrote %q on stderr", stderr)
	}
}

func TestReplayFollow(t *testing.T) {
	srv := sharedServer(t)
	mustRun(t, "", srv.on("publish", "follow", "--xadd", "before")...)
	f := startCLI(t, srv.on("replay", "follow", "--follow")...)
	if l := nextLine(t, f.lines, "replay --follow"); !strings.HasSuffix(l, "\tbefore") {
		t.Fatalf("first line %q", l)
	}
	tail := startCLI(t, srv.on("replay", "follow", "--from", "$", "--follow", "--count", "2", "--format", "json")...)
	time.Sleep(200 * time.Millisecond) // let --from $ resolve before publishing
	mustRun(t, "", srv.on("publish", "follow", "after", "and again")...)
	for _, want := range []string{"\tafter", "\tand again"} {
		if l := nextLine(t, f.lines, "replay --follow"); !strings.HasSuffix(l, want) {
			t.Fatalf("followed line %q, want suffix %q", l, want)
		}
	}
	for _, want := range []string{`"fields":{"message":"after"}}`, `"fields":{"message":"and again"}}`} {
		if l := nextLine(t, tail.lines, "replay --from $ --follow"); !strings.HasSuffix(l, want) {
			t.Fatalf("followed line %q, want suffix %q", l, want)
		}
	}
	if code := tail.wait(t); code != 0 {
		t.Errorf("replay --follow --count 2 exited %d", code)
	}
	_ = f.cmd.Process.Signal(os.Interrupt)
	if code := f.wait(t); code != 0 {
		t.Errorf("replay --follow exited %d after Ctrl-C, want 0", code)
	}
}

func TestReplayDir(t *testing.T) {
	dir := t.TempDir()
	srv := startCLIServer(t, dir)
	defer srv.stop()
	seedEntries(t, srv.addr(), "hist", replayEntries)
	_, stderr, code := runCLI(t, "", "replay", "hist", "--dir", dir)
	if code != 1 || !strings.Contains(stderr, "in use by a running server") {
		t.Errorf("replay --dir of a running server's directory: exit %d, stderr %q", code, stderr)
	}
	srv.stop()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, replayText(0, 10)},
		{[]string{"--from", "1003", "--to", "1006"}, replayText(3, 7)},
		{[]string{"--last", "2"}, replayText(8, 10)},
		{[]string{"--count", "2", "--from", "1001"}, replayText(1, 3)},
		{[]string{"--since", time.UnixMilli(1005).UTC().Format(time.RFC3339)}, replayText(0, 10)}, // whole seconds: 1970-01-01T00:00:01Z
	} {
		got := mustRun(t, "", append([]string{"replay", "hist", "--dir", dir}, tc.args...)...)
		if got != tc.want {
			t.Errorf("replay --dir %v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
	got := mustRun(t, "", "replay", "hist", "--dir", dir, "--format", "json", "--last", "1")
	if want := `{"id":"1009-0","channel":"hist","fields":{"message":"m9"}}` + "\n"; got != want {
		t.Errorf("replay --dir --format json: %q", got)
	}
	_, stderr, code = runCLI(t, "", "replay", "nothing-here", "--dir", dir)
	if code != 1 || !strings.Contains(stderr, `no channel "nothing-here"`) {
		t.Errorf("replay --dir of a missing channel: exit %d, stderr %q", code, stderr)
	}
}

func TestBadUsage(t *testing.T) {
	closed := strconv.Itoa(cliFreePort(t))
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"replay"}, 2, "missing CHANNEL"},
		{[]string{"replay", "a", "b"}, 2, "one CHANNEL only"},
		{[]string{"replay", "a", "--format", "xml"}, 2, `--format must be text or json, not "xml"`},
		{[]string{"replay", "a", "--from", "abc"}, 2, `--from: invalid ID "abc"`},
		{[]string{"replay", "a", "--to", "1-x"}, 2, `--to: invalid ID "1-x"`},
		{[]string{"replay", "a", "--from", "1", "--since", "1h"}, 2, "use --from or --since, not both"},
		{[]string{"replay", "a", "--since", "yesterday"}, 2, `--since: "yesterday" is neither a duration`},
		{[]string{"replay", "a", "--dir", "/nonexistent", "--follow"}, 2, "--follow needs a server"},
		{[]string{"replay", "a", "--dir", "/nonexistent", "-p", "1"}, 2, "use --dir or -h/-p, not both"},
		{[]string{"replay", "a", "--last", "-1"}, 2, "--last must be positive"},
		{[]string{"replay", "a", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"replay", "a", "--dir", "/nonexistent"}, 1, "--dir: stat /nonexistent: no such file or directory"},
		{[]string{"replay", "a", "-p", closed}, 1, "cannot connect to 127.0.0.1:" + closed},
		{[]string{"publish"}, 2, "missing CHANNEL"},
		{[]string{"publish", "ch"}, 2, "missing MESSAGE"},
		{[]string{"publish", "ch", "m", "-p", "x"}, 2, `invalid argument "x" for "-p, --port"`},
		{[]string{"publish", "ch", "m", "-p", closed}, 1, "cannot connect"},
		{[]string{"subscribe"}, 2, "missing CHANNEL"},
		{[]string{"subscribe", "ch", "--format", "yaml"}, 2, "--format must be text or json"},
		{[]string{"subscribe", "ch", "-p", closed}, 1, "cannot connect"},
	} {
		_, stderr, code := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("rewind %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"publish", "subscribe", "replay"} {
		stdout, stderr, code := runCLI(t, "", cmd, "--help")
		if code != 0 || !strings.Contains(stdout+stderr, "Usage: rewind "+cmd) || !strings.Contains(stdout+stderr, "-h, --host") {
			t.Errorf("rewind %s --help: exit %d, output %q", cmd, code, stdout+stderr)
		}
	}
	if _, stderr, _ := runCLI(t, "", "replay", "--help"); strings.Contains(stderr, "cpuprofile") {
		t.Error("replay --help shows the hidden --cpuprofile flag")
	}
}

// TestServeRejectsBadFlags: a serve flag out of range is a usage error
// (exit 2) with a message naming it, before anything is opened.
func TestServeRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--cache-mb", "0"},
		{"--log-format", "xml"},
		{"--write-queue-len", "0"},
		{"--max-batch-bytes", "1000"},
		{"--max-pending-per-group", "-1"},
	} {
		_, stderr, code := runCLI(t, "", append([]string{"serve", "--dir", dir, "--port", "0"}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("serve %v: exit %d, stderr %q; want exit 2 naming %s", args, code, stderr, args[0])
		}
	}
}

// TestShutdownCommand: SHUTDOWN (as redis-cli sends it) stops the node the
// way SIGTERM does: the client gets no reply, its connection closes, the
// process exits 0, and what was published is there after a restart.
func TestShutdownCommand(t *testing.T) {
	dir := t.TempDir()
	s := startCLIServer(t, dir)
	defer s.stop()
	mustRun(t, "", append([]string{"publish"}, append(s.flags(), "news", "before-shutdown")...)...)
	nc, err := net.DialTimeout("tcp", s.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := nc.Read(make([]byte, 64)); err == nil {
		t.Fatalf("SHUTDOWN replied (%d bytes) instead of closing the connection", n)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit after SHUTDOWN")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d after SHUTDOWN: %s", code, s.stderr.String())
	}
	s2 := startCLIServer(t, dir)
	defer s2.stop()
	out := mustRun(t, "", append([]string{"replay", "news", "--from", "0"}, s2.flags()...)...)
	if !strings.Contains(out, "before-shutdown") {
		t.Fatalf("after SHUTDOWN and a restart, replay shows %q", out)
	}
}
