package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// errPrefixEarlier starts the error of a system that is not started again
// after it failed to start once.
const errPrefixEarlier = "not started (failed earlier): "

const (
	readyTimeout = 20 * time.Second
	stopTimeout  = 15 * time.Second
)

// system is one broker configuration under test.
type system struct {
	Name       string   // used by --systems and in JSON
	Label      string   // shown in the table
	redisArgs  []string // extra redis-server arguments; nil for rewind
	persistent bool     // whether writes are made durable (XADD workloads run only then)
	base       bool     // a rewind started from --rewind-base (the build before a change)
}

// baseSystem is the name of the rewind started from --rewind-base.
const baseSystem = "rewind-base"

func (s system) isRewind() bool { return s.redisArgs == nil }

var allSystems = []system{
	{Name: "rewind", Label: "rewind", persistent: true},
	{Name: baseSystem, Label: "rewind (base)", persistent: true, base: true},
	{Name: "redis-always", Label: "redis always", persistent: true,
		redisArgs: []string{"--appendonly", "yes", "--appendfsync", "always"}},
	{Name: "redis-everysec", Label: "redis everysec", persistent: true,
		redisArgs: []string{"--appendonly", "yes", "--appendfsync", "everysec"}},
	{Name: "redis-nopersist", Label: "redis (no persistence)",
		redisArgs: []string{"--appendonly", "no"}},
}

// server is one running broker process with its own port and data directory.
type server struct {
	sys     system
	addr    string
	port    int
	dir     string
	cmd     *exec.Cmd
	out     *tailBuffer
	exited  chan struct{}
	waitErr error
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// serverArgs returns the command line that starts sys on port with data in dir.
func (h *harness) serverArgs(sys system, port int, dir string) (string, []string) {
	p := strconv.Itoa(port)
	if sys.isRewind() {
		return h.rewindBinary(sys), []string{"serve", "--bind", "127.0.0.1", "--port", p, "--dir", dir}
	}
	args := []string{"--save", "", "--dir", dir, "--port", p, "--bind", "127.0.0.1", "--protected-mode", "no"}
	return h.opts.RedisPath, append(args, sys.redisArgs...)
}

// rewindBinary returns the path of the rewind binary that runs sys.
func (h *harness) rewindBinary(sys system) string {
	if sys.base {
		return h.opts.RewindBasePath
	}
	return h.opts.RewindPath
}

// startServer starts a fresh process of sys and waits until it answers PING.
// A system that failed to start once is not retried by later workloads.
func (h *harness) startServer(ctx context.Context, sys system) (*server, error) {
	if err := h.startErr(sys.Name); err != nil {
		return nil, fmt.Errorf("%s%w", errPrefixEarlier, err)
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var s *server
		s, err = h.launch(sys)
		if err == nil {
			if err = s.waitReady(ctx, readyTimeout); err == nil {
				return s, nil
			}
			h.stopServer(s)
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "in use") {
			break // only a lost race for the port is worth another try
		}
	}
	if ctx.Err() == nil {
		h.setStartErr(sys.Name, err)
	}
	return nil, err
}

func (h *harness) launch(sys system) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(h.tmpRoot, sys.Name+"-")
	if err != nil {
		return nil, err
	}
	bin, args := h.serverArgs(sys, port, dir)
	s := &server{sys: sys, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), port: port, dir: dir,
		out: &tailBuffer{max: 4096}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.SysProcAttr = childProcAttr()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", sys.Name, err)
	}
	h.track(s)
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()
	return s, nil
}

// waitReady polls the server with PING until it answers +PONG.
func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for wait := 2 * time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before answering PING (%v): %s", s.sys.Name, s.waitErr, s.out.String())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if pingOnce(ctx, s.addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer PING on %s within %v: %s", s.sys.Name, s.addr, timeout, s.out.String())
		}
		time.Sleep(wait)
	}
}

func pingOnce(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := dial(ctx, addr, 512, false)
	if err != nil {
		return err
	}
	defer c.Close()
	reply, err := c.doString("PING")
	if err == nil && reply != "PONG" {
		err = fmt.Errorf("PING answered %q", reply)
	}
	return err
}

// stop asks the process to exit and reports whether it exited cleanly:
// redis with SHUTDOWN (SIGTERM waits for its next 100 ms cron tick), rewind
// with SIGTERM. A process still running after stopTimeout is killed.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.exitErr()
	default:
	}
	if s.sys.isRewind() || sendShutdown(s.addr) != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-s.exited:
		return s.exitErr()
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not exit within %v of being asked to; killed", s.sys.Name, stopTimeout)
	}
}

// sendShutdown sends SHUTDOWN; success is the server closing the connection.
func sendShutdown(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := dial(ctx, addr, 512, false)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Do("SHUTDOWN"); !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("SHUTDOWN answered %v", err)
	}
	return nil
}

func (s *server) exitErr() error {
	if s.waitErr != nil {
		return fmt.Errorf("%s exited: %w: %s", s.sys.Name, s.waitErr, s.out.String())
	}
	return nil
}

// stopServer stops s, removes its data directory and forgets it.
func (h *harness) stopServer(s *server) error {
	err := s.stop()
	os.RemoveAll(s.dir)
	h.untrack(s)
	return err
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dirBytes returns the sum of the sizes of the regular files under dir.
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		total += info.Size()
		return nil
	})
	return total, err
}

// tailBuffer keeps the last max bytes written to it (a process's output).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
