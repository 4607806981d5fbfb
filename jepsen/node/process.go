package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// ProcessConfig describes a Process.
type ProcessConfig struct {
	Name      string
	Binary    string   // the rewind binary
	DataDir   string   // created if missing
	Port      int      // 0: a free loopback port
	LogPath   string   // the server's stderr, appended across lives
	FaultFile string   // the disk fault control file (serve --unsafe-fault-fs)
	ExtraArgs []string // more serve flags
}

// Process is a Node backed by a local `rewind serve` process.
type Process struct {
	cfg  ProcessConfig
	addr string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	mode     Mode
	paused   bool
	lastExit string
}

var _ Node = (*Process)(nil)

// NewProcess prepares a node; Start runs it.
func NewProcess(cfg ProcessConfig) (*Process, error) {
	if cfg.Port == 0 {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		cfg.Port = port
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	p := &Process{cfg: cfg, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)), exited: make(chan struct{})}
	close(p.exited)
	return p, nil
}

// FreePort returns a loopback port nobody listens on now.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (p *Process) Name() string    { return p.cfg.Name }
func (p *Process) Addr() string    { return p.addr }
func (p *Process) DataDir() string { return p.cfg.DataDir }

func (p *Process) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

func (p *Process) LastExit() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastExit
}

func (p *Process) Running() bool {
	select {
	case <-p.Exited():
		return false
	default:
		return true
	}
}

func (p *Process) args(mode Mode) []string {
	args := []string{"serve", "--port", strconv.Itoa(p.cfg.Port), "--dir", p.cfg.DataDir, "--log-level", "warn"}
	if p.cfg.FaultFile != "" {
		args = append(args, "--unsafe-fault-fs", p.cfg.FaultFile)
	}
	if mode.PowerLoss {
		args = append(args, "--unsafe-powerloss-fs")
	}
	if mode.UnsafeNoSync {
		args = append(args, "--unsafe-no-sync")
	}
	return append(args, p.cfg.ExtraArgs...)
}

// Start starts a new life of the node and waits until it answers PING.
func (p *Process) Start(ctx context.Context, mode Mode) error {
	if p.Running() {
		return errors.New("node: already running")
	}
	if p.cfg.FaultFile != "" {
		if err := os.WriteFile(p.cfg.FaultFile, []byte("off\n"), 0o644); err != nil {
			return err
		}
	}
	logf, err := os.OpenFile(p.cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== %s start %v\n", time.Now().Format(time.RFC3339Nano), p.args(mode))
	cmd := exec.Command(p.cfg.Binary, p.args(mode)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	detach(cmd)
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return err
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.mode, p.paused = cmd, exited, mode, false
	p.mu.Unlock()
	go p.wait(cmd, logf, exited)
	return p.waitReady(ctx, exited)
}

func (p *Process) wait(cmd *exec.Cmd, logf io.Closer, exited chan struct{}) {
	err := cmd.Wait()
	_ = logf.Close()
	desc := "exit 0"
	if err != nil {
		desc = err.Error()
	}
	p.mu.Lock()
	p.lastExit = desc
	p.mu.Unlock()
	close(exited)
}

func (p *Process) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	defer c.Close()
	for {
		if c.Ping(ctx).Err() == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("node %s exited while starting (%s): %s", p.cfg.Name, p.LastExit(), p.LogTail())
		case <-ctx.Done():
			_ = p.Kill()
			return fmt.Errorf("node %s not ready: %w", p.cfg.Name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// signal sends sig to the running process.
func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.exited:
		return ErrNotRunning
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return err
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return nil
}

// waitExit waits up to timeout for the current life to end.
func (p *Process) waitExit(timeout time.Duration) error {
	select {
	case <-p.Exited():
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("node %s still running after %v", p.cfg.Name, timeout)
	}
}

func (p *Process) Kill() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.waitExit(30 * time.Second)
}

func (p *Process) Stop() error {
	_ = p.signal(syscall.SIGCONT)
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := p.waitExit(60 * time.Second); err != nil {
		_ = p.Kill()
		return err
	}
	return nil
}

func (p *Process) Pause() error  { return p.signal(syscall.SIGSTOP) }
func (p *Process) Resume() error { return p.signal(syscall.SIGCONT) }

func (p *Process) PowerLoss() error {
	if !p.Mode().PowerLoss {
		return errors.New("node: power loss needs a node started in power-loss mode")
	}
	_ = p.signal(syscall.SIGCONT) // a stopped process cannot take the signal
	if err := p.signal(syscall.SIGUSR1); err != nil {
		return err
	}
	return p.waitExit(2 * time.Minute)
}

func (p *Process) SetDiskFault(rule string) error {
	if p.cfg.FaultFile == "" {
		return errors.New("node: started without a disk fault control file")
	}
	if err := os.WriteFile(p.cfg.FaultFile, []byte(rule+"\n"), 0o644); err != nil {
		return err
	}
	return p.signal(syscall.SIGUSR2)
}

// LogTail returns the end of the server log (enough for a panic's first
// line above its goroutine dump).
func (p *Process) LogTail() string {
	data, err := os.ReadFile(p.cfg.LogPath)
	if err != nil {
		return ""
	}
	const tail = 256 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	return string(data)
}

func (p *Process) Close() error {
	if p.Running() {
		return p.Kill()
	}
	return nil
}

// Build compiles the rewind command of the module at moduleDir into out.
func Build(ctx context.Context, moduleDir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/rewind")
	cmd.Dir = moduleDir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/rewind: %v\n%s", err, msg)
	}
	return nil
}
