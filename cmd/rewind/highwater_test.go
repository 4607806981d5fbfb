package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Jepsen bugs 2 and 3 after a crash (jepsen/README.md): when a node dies
// (kill -9, power loss) its newest entries live only in Pebble's WAL, and
// Pebble takes a damaged WAL record, or a damaged MANIFEST record, for a
// torn tail and opens a shorter history without an error. wal's high-water
// mark (wal/highwater.go) must make the node refuse to start instead. The
// damage is older than the high-water file's last write (the tests wait
// several of its 200 ms intervals before the kill): damage to only the
// writes of the last interval cannot be told from a torn write.

// lossMessage is what a node that refuses a shorter log says.
const lossMessage = "acknowledged writes are missing"

// copyDataDir copies a stopped node's directory.
func copyDataDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, d.Name()), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// damage rewrites the file of dir that pick chooses with fn, and says what
// it did.
func damage(t *testing.T, dir string, pick func(dir string) string, fn func([]byte) []byte) string {
	t.Helper()
	path := pick(dir)
	if path == "" {
		t.Fatalf("no file to damage in %s", dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Base(path)
}

func newestWAL(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	sort.Strings(logs)
	if len(logs) == 0 {
		return ""
	}
	return logs[len(logs)-1]
}

// manifestFile is the MANIFEST Pebble's marker points at.
func manifestFile(dir string) string {
	markers, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*"))
	sort.Strings(markers)
	if len(markers) == 0 {
		return ""
	}
	parts := strings.SplitN(filepath.Base(markers[len(markers)-1]), ".", 4)
	if len(parts) < 4 {
		return ""
	}
	return filepath.Join(dir, parts[3])
}

// probeOutcome starts a node on a damaged directory. It fails the test if
// the node serves fewer than acked entries of "ch" without an error; it
// returns whether the node refused to start, and its log.
func probeOutcome(t *testing.T, bin, dir string, acked int, what string) (refused bool, log string) {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin, "serve", "--port", fmt.Sprint(port), "--dir", dir)
	logs := &lockedWriter{b: &strings.Builder{}}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill(); <-exited }()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
	defer c.Close()
	logText := func() string { logs.mu.Lock(); defer logs.mu.Unlock(); return logs.b.String() }
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			if err == nil {
				t.Fatalf("%s: the node exited with status 0:\n%s", what, logText())
			}
			return true, logText()
		default:
		}
		if n, err := c.XLen(context.Background(), "ch").Result(); err == nil {
			if n != int64(acked) {
				t.Fatalf("%s: served %d of %d acknowledged entries without an error", what, n, acked)
			}
			return false, logText()
		}
	}
	t.Fatalf("%s: the node neither started nor exited:\n%s", what, logText())
	return false, ""
}

// requireLossRefused requires that a node on dir refuses to start, saying
// that acknowledged writes are missing, and that `rewind replay --dir`
// (a read-only open) refuses too.
func requireLossRefused(t *testing.T, bin, dir string, acked int, what string) {
	t.Helper()
	refused, log := probeOutcome(t, bin, dir, acked, what)
	if !refused || !strings.Contains(log, lossMessage) || !strings.Contains(log, "rewind serve failed") {
		t.Fatalf("%s: refused %v, want a refusal saying %q; log:\n%s", what, refused, lossMessage, log)
	}
	out, err := exec.Command(bin, "replay", "ch", "--dir", dir).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte(lossMessage)) {
		t.Fatalf("%s: replay --dir: %v, want a refusal; output:\n%.2000s", what, err, out)
	}
	t.Logf("%s: refused: %s", what, lastLine(log))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// crashAfterWrites writes n entries to "ch", waits for the high-water
// file to catch up, and kills the node with SIGKILL; with first > 0, a
// first life writes first entries and is killed the same way, so that the
// second life's MANIFEST starts with the flush of the first life's WAL.
func crashAfterWrites(t *testing.T, bin string, first, n int) (dir string, acked int) {
	t.Helper()
	dir, port := t.TempDir(), freePort(t)
	for _, k := range []int{first, n} {
		if k == 0 {
			continue
		}
		srv := startServer(t, bin, dir, port)
		acked += len(xaddN(t, srv.addr, "ch", k))
		time.Sleep(time.Second) // five high-water intervals
		srv.kill9(t)
	}
	return dir, acked
}

// TestCrashWALDamageIsNotSilentLoss: after kill -9, a flipped bit in, or a
// truncation of, the WAL (every entry is still there: nothing was flushed)
// must make the node refuse to start rather than serve a third of its log.
func TestCrashWALDamageIsNotSilentLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir, acked := crashAfterWrites(t, bin, 0, 3000)
	if refused, log := probeOutcome(t, bin, copyDataDir(t, dir), acked, "undamaged"); refused {
		t.Fatalf("the undamaged directory was refused:\n%s", log)
	}
	for _, tc := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"bit flip", func(d []byte) []byte { d[len(bytes.TrimRight(d, "\x00"))/3] ^= 0x08; return d }},
		{"truncation", func(d []byte) []byte { return d[:len(bytes.TrimRight(d, "\x00"))/3] }},
	} {
		c := copyDataDir(t, dir)
		name := damage(t, c, newestWAL, tc.fn)
		requireLossRefused(t, bin, c, acked, fmt.Sprintf("WAL %s (%s)", tc.name, name))
	}
}

// TestManifestDamageIsNotSilentLoss: after kill -9, and after a clean
// stop, the current MANIFEST is cut short at 16 places in its last 64
// bytes and has a bit flipped at 8 places: each copy must be refused (by Pebble or
// by the high-water check) or serve every entry. After two kills (the
// second life's MANIFEST ends with the flush of the first life's WAL),
// losing that last edit loses the first life's entries while the second
// life's WAL still replays: Pebble opens it without an error, and only the
// high-water check (a hole in the commit counter) refuses it.
func TestManifestDamageIsNotSilentLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	crashed, ackedCrashed := crashAfterWrites(t, bin, 1000, 1000)
	stopped, port := t.TempDir(), freePort(t)
	ackedStopped := 0
	for range 2 {
		srv := startServer(t, bin, stopped, port)
		ackedStopped += len(xaddN(t, srv.addr, "ch", 1000))
		stopGracefully(t, srv)
	}
	for _, tc := range []struct {
		name  string
		dir   string
		acked int
		want  bool // some damage must need the high-water check
	}{{"kill -9", crashed, ackedCrashed, true}, {"clean stop", stopped, ackedStopped, false}} {
		data, err := os.ReadFile(manifestFile(tc.dir))
		if err != nil {
			t.Fatal(err)
		}
		size := len(data)
		outcomes := map[string]int{}
		probe := func(what string, fn func([]byte) []byte) {
			c := copyDataDir(t, tc.dir)
			damage(t, c, manifestFile, fn)
			refused, log := probeOutcome(t, bin, c, tc.acked, what)
			switch {
			case !refused:
				outcomes["served everything"]++
			case strings.Contains(log, lossMessage):
				if outcomes["refused: writes missing"] == 0 {
					t.Logf("%s: %s", what, lastLine(log))
				}
				outcomes["refused: writes missing"]++
			default:
				outcomes["refused by Pebble"]++
			}
		}
		for cut := 1; cut <= min(64, size-1); cut += 4 {
			probe(fmt.Sprintf("%s: MANIFEST truncated to %d of %d bytes", tc.name, size-cut, size), func(d []byte) []byte { return d[:size-cut] })
		}
		for i := range 8 {
			off := size * i / 8
			probe(fmt.Sprintf("%s: MANIFEST bit %d of byte %d of %d flipped", tc.name, i%8, off, size), func(d []byte) []byte { d[off] ^= 1 << (i % 8); return d })
		}
		t.Logf("%s: %v", tc.name, outcomes)
		if tc.want && outcomes["refused: writes missing"] == 0 {
			t.Errorf("%s: no damaged MANIFEST needed the high-water check (%v): the test no longer covers bug 3", tc.name, outcomes)
		}
	}
}
