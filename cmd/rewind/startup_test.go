package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Starting on a data directory the node cannot use: each case is one clear
// line on stderr and exit status 1, never a panic, a hang or a flood.

// runServeToExit runs `rewind serve` on dir as a child (as uid/gid when
// cred is set) and returns its stderr and exit status; it fails the test if
// the server does not exit (a guard against the hang, not a timing check).
func runServeToExit(t *testing.T, bin, dir string, cred *syscall.Credential) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--port", strconv.Itoa(freePort(t)), "--dir", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatal(err)
		}
		return stderr.String(), cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("rewind serve on %s did not exit; stderr (%d bytes) begins:\n%.3000s", dir, stderr.Len(), stderr.String())
		return "", 0
	}
}

// requireOneLineExit requires exit status 1 and a stderr of exactly one line
// containing every want, with no panic or goroutine trace.
func requireOneLineExit(t *testing.T, stderr string, code int, want ...string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 1 || len(lines) != 1 || strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
		t.Fatalf("exit %d with %d lines of stderr, want exit 1 and one line:\n%.3000s", code, len(lines), stderr)
	}
	for _, w := range want {
		if !strings.Contains(lines[0], w) {
			t.Fatalf("stderr %q, want %q in it", lines[0], w)
		}
	}
	t.Logf("stderr: %s", lines[0])
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, or skips the
// test when it cannot (not root, no mount in this sandbox).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fillDisk writes a file in dir until its file system has no space left.
func fillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestStartOnFullDisk: an empty directory, and one whose WAL must be
// flushed at start (the node was killed), on a full disk. Before, the
// first panicked and the second retried the flush at once, forever: no
// listener and thousands of log lines a second.
func TestStartOnFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	mnt := mountTmpfs(t, 4<<20)
	killed := filepath.Join(mnt, "killed")
	srv := startServer(t, bin, killed, freePort(t))
	xaddN(t, srv.addr, "ch", 500)
	srv.kill9(t)
	fillDisk(t, mnt)
	for _, dir := range []string{filepath.Join(mnt, "empty"), killed} {
		stderr, code := runServeToExit(t, bin, dir, nil)
		requireOneLineExit(t, stderr, code, "cannot start: the disk of data directory "+dir+" is full", "use another --dir")
	}
	// With room again, nothing acknowledged was lost.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, bin, killed, freePort(t))
	if n := xlen(t, srv.addr, "ch"); n != 500 {
		t.Fatalf("after freeing space: %d entries, want 500", n)
	}
}

// TestFullDiskAtShutdownStops: with every table write failing with ENOSPC,
// the flush at shutdown fails; Pebble retried it at once, forever (a core
// and thousands of lines a second, and no exit). Now the server backs off,
// logs a few lines, gives up on the flush and exits; the entries are in
// the WAL.
func TestFullDiskAtShutdownStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir := t.TempDir()
	control := filepath.Join(t.TempDir(), "faults")
	if err := os.WriteFile(control, []byte("write-enospc files=sst\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, bin, dir, freePort(t), "--unsafe-fault-fs", control)
	xaddN(t, srv.addr, "ch", 100)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !waitExit(srv.cmd, 30*time.Second) {
		t.Fatalf("the server did not stop; log (%d bytes) begins:\n%.3000s", len(srv.logText()), srv.logText())
	}
	log := srv.logText()
	if n := strings.Count(log, "\n"); n > 20 {
		t.Fatalf("%d log lines for one failed flush, want a few:\n%.3000s", n, log)
	}
	if !strings.Contains(log, "disk full") {
		t.Fatalf("no disk-full line in the log:\n%s", log)
	}
	srv = startServer(t, bin, dir, freePort(t))
	if n := xlen(t, srv.addr, "ch"); n != 100 {
		t.Fatalf("after restart: %d entries, want 100", n)
	}
}

// TestDiskFillsWhileRunning: once the disk is full, writes are refused
// with -MISCONF, reads go on, the log stays short, the server stops on
// SIGTERM, and everything acknowledged is there after a restart with room.
func TestDiskFillsWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	mnt := mountTmpfs(t, 8<<20)
	dir := filepath.Join(mnt, "data")
	srv := startServer(t, bin, dir, freePort(t))
	acked := int64(len(xaddN(t, srv.addr, "ch", 100)))
	fillDisk(t, mnt)
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	payload := strings.Repeat("p", 4096)
	var writeErr error
	for i := 0; i < 10000 && writeErr == nil; i++ {
		writeErr = c.XAdd(ctx, &redis.XAddArgs{Stream: "ch", Values: []string{"message", payload}}).Err()
		if writeErr == nil {
			acked++
		}
	}
	if writeErr == nil || !strings.HasPrefix(writeErr.Error(), "MISCONF ") {
		t.Fatalf("XADD on a full disk: %v, want a MISCONF error", writeErr)
	}
	if n, err := c.XLen(ctx, "ch").Result(); err != nil || n < acked {
		t.Fatalf("XLEN on a full disk: %d, %v; want at least %d", n, err, acked)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !waitExit(srv.cmd, 30*time.Second) {
		t.Fatalf("the server did not stop; log begins:\n%.3000s", srv.logText())
	}
	if n := strings.Count(srv.logText(), "\n"); n > 30 {
		t.Fatalf("%d log lines, want a few:\n%.3000s", n, srv.logText())
	}
	t.Logf("server log:\n%s", srv.logText())
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, bin, dir, freePort(t))
	if n := xlen(t, srv.addr, "ch"); n < acked {
		t.Fatalf("after freeing space: %d entries, %d acknowledged", n, acked)
	}
}

// unprivileged returns the credential to run a child without the power to
// bypass permissions (nobody, when the tests run as root), or nil when the
// tests already run unprivileged, and a copy of bin that user can run.
func unprivileged(t *testing.T, bin string) (*syscall.Credential, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, bin
	}
	dir, err := os.MkdirTemp("", "rewind-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyBin := filepath.Join(dir, "rewind")
	src, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(copyBin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return &syscall.Credential{Uid: 65534, Gid: 65534}, copyBin
}

// TestStartOnUnwritableDir: directories the server's user cannot write.
// Before, a directory holding data but not writable panicked ("MANIFEST
// create failed: ... permission denied" and a goroutine trace).
func TestStartOnUnwritableDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	cred, bin := unprivileged(t, rewindBinary(t))
	root, err := os.MkdirTemp("", "rewind-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(root, 0o700); _ = os.RemoveAll(root) })
	chown := func(path string) {
		if cred != nil {
			if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	withData := filepath.Join(root, "with-data")
	if err := os.Mkdir(withData, 0o755); err != nil {
		t.Fatal(err)
	}
	chown(withData)
	// Let the user create data there, then take its write access away.
	if stderr, code := runServeUntilReady(t, bin, withData, cred); code != 0 {
		t.Fatalf("first start as the test user: exit %d\n%s", code, stderr)
	}
	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	chown(empty)
	for _, dir := range []string{withData, empty} {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
	}
	lockedParent := filepath.Join(empty, "sub") // cannot be created
	for _, dir := range []string{withData, empty, lockedParent} {
		stderr, code := runServeToExit(t, bin, dir, cred)
		requireOneLineExit(t, stderr, code, "cannot start: data directory "+dir+" is not writable", "permission denied", "use another --dir")
	}
}

// runServeUntilReady starts `rewind serve` on dir, waits for its ready
// line, stops it with SIGTERM and returns its stderr and exit status.
func runServeUntilReady(t *testing.T, bin, dir string, cred *syscall.Credential) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--port", strconv.Itoa(freePort(t)), "--dir", dir)
	logs := &strings.Builder{}
	cmd.Stderr = &lockedWriter{b: logs}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, logs: logs}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(p.logText(), "rewind ready"); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return p.logText(), cmd.ProcessState.ExitCode()
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return p.logText(), -1
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	<-exited
	return p.logText(), cmd.ProcessState.ExitCode()
}

// waitExit waits up to limit for cmd to exit (a guard against a hang),
// killing it if it does not.
func waitExit(cmd *exec.Cmd, limit time.Duration) bool {
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	select {
	case <-exited:
		return true
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-exited
		return false
	}
}

// TestSecondServerOnSameDir: the second says the directory is in use and by
// which pid; before, it said only "resource temporarily unavailable".
func TestSecondServerOnSameDir(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	bin := rewindBinary(t)
	dir := t.TempDir()
	first := startServer(t, bin, dir, freePort(t))
	stderr, code := runServeToExit(t, bin, dir, nil)
	pid := strconv.Itoa(first.cmd.Process.Pid)
	requireOneLineExit(t, stderr, code, "cannot start: data directory "+dir+" is in use by another rewind process (pid "+pid+")")
	out, err := exec.Command(bin, "replay", "ch", "--dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by a running server (pid "+pid+")") {
		t.Fatalf("replay --dir of the directory in use: %v\n%s", err, out)
	}
	stopGracefully(t, first)
	if _, err := os.Stat(filepath.Join(dir, "REWIND-PID")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("REWIND-PID after a clean stop: %v, want it removed", err)
	}
}
