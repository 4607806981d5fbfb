package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rewind-mq/rewind/jepsen/history"
	"github.com/rewind-mq/rewind/jepsen/nemesis"
	"github.com/rewind-mq/rewind/jepsen/node"
	"github.com/rewind-mq/rewind/jepsen/report"
	"github.com/rewind-mq/rewind/jepsen/workload"
)

// Bounds of the phases after the faults.
const (
	healTimeout  = 2 * time.Minute
	finalTimeout = 3 * time.Minute
)

// test is one harness run.
type test struct {
	opts      options
	args      []string
	workloads []workload.Workload
	kinds     []string
	steps     []nemesis.Step
	runDir    string
	dataRoot  string
	started   time.Time
	progress  *progress
}

func newTest(o options, args []string, stderr io.Writer) (*test, error) {
	ws, err := workload.Lookup(strings.Split(o.workloads, ","), workload.Options{
		Channels: o.channels, Writers: o.writers, Readers: o.readers, Subscribers: o.subscribers, Named: o.named,
	})
	if err != nil {
		return nil, err
	}
	kinds, _ := nemesis.ParseKinds(o.nemeses)
	return &test{opts: o, args: args, workloads: ws, kinds: kinds, steps: nemesis.Schedule(o.seed, kinds, o.length)}, nil
}

// run does the whole thing; it returns the exit status.
func (t *test) run(stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := t.prepare(ctx, stderr); err != nil {
		fmt.Fprintln(stderr, "jepsen:", err)
		return exitError
	}
	defer t.cleanup(stderr)
	fmt.Fprintf(stderr, "jepsen: run %s, seed %d, %d faults scheduled over %v\n", t.runDir, t.opts.seed, len(t.steps), t.opts.length)
	err := t.execute(ctx, stderr)
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "\njepsen: interrupted; history so far in %s\n", t.runDir)
		return exitInterrupted
	}
	if err != nil {
		fmt.Fprintf(stderr, "\njepsen: %v (checking what was recorded)\n", err)
	}
	code := checkDir(t.runDir, t.opts.maxExamples, stdout, stderr)
	if err != nil && code == exitValid {
		return exitError
	}
	return code
}

// prepare makes the run directory, builds the binary and makes scratch
// space for the nodes.
func (t *test) prepare(ctx context.Context, stderr io.Writer) error {
	t.started = time.Now() // again once the binary is built: faults count from then
	t.runDir = filepath.Join(t.opts.out, t.started.UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(t.runDir, 0o755); err != nil {
		return err
	}
	if t.opts.binary == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "jepsen: building rewind from %s\n", root)
		t.opts.binary = filepath.Join(t.runDir, "rewind")
		if err := node.Build(ctx, root, mustAbs(t.opts.binary)); err != nil {
			return err
		}
	}
	t.opts.binary = mustAbs(t.opts.binary)
	dataRoot, err := os.MkdirTemp("", "rewind-jepsen-")
	if err != nil {
		return err
	}
	t.dataRoot = dataRoot
	t.started = time.Now()
	return t.saveRun()
}

func (t *test) saveRun() error {
	data, err := json.MarshalIndent(t.runInfo(), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(t.runDir, "run.json"), append(data, '\n'), 0o644)
}

func (t *test) runInfo() report.Run {
	var names []string
	for _, w := range t.workloads {
		names = append(names, w.Name())
	}
	r := report.Run{
		Command: append([]string{"go", "run", "./jepsen"}, t.args...), Seed: t.opts.seed, Started: t.started,
		Length: t.opts.length, Rate: t.opts.rate, Nemeses: t.kinds, Workloads: names, Schedule: t.steps,
	}
	if t.opts.noSync {
		r.Notes = append(r.Notes, "Nodes ran with --unsafe-no-sync: writes were acknowledged before fsync, so power loss must lose some.")
	}
	return r
}

func (t *test) cleanup(stderr io.Writer) {
	if t.dataRoot == "" || t.opts.keepData {
		if t.dataRoot != "" {
			fmt.Fprintf(stderr, "jepsen: data kept in %s\n", t.dataRoot)
		}
		return
	}
	_ = os.RemoveAll(t.dataRoot)
}

// execute starts the node, runs workloads and nemeses for the run's
// length, heals, and makes the final reads.
func (t *test) execute(ctx context.Context, stderr io.Writer) error {
	rec, err := history.NewRecorder(filepath.Join(t.runDir, "history.jsonl"), t.started)
	if err != nil {
		return err
	}
	defer rec.Close()
	n, err := t.newNode()
	if err != nil {
		return err
	}
	defer n.Close()
	env := &workload.Env{Nodes: []node.Node{n}, Rec: rec, Limiter: workload.NewLimiter(t.opts.rate), Binary: t.opts.binary, Timeout: t.opts.timeout, Seed: t.opts.seed}
	runner := t.newRunner(n, rec, env)
	if err := n.Start(ctx, runner.ModeAt(0)); err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	t.progress = newProgress(stderr, t.opts.length, runner.Current)
	rec.OnEvent(t.progress.count)
	stopProgress := t.progress.start()
	runErr := t.drive(ctx, env, runner)
	stopProgress()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(runErr, t.finish(ctx, env, runner, n))
}

func (t *test) newNode() (*node.Process, error) {
	return node.NewProcess(node.ProcessConfig{
		Name: "n1", Binary: t.opts.binary,
		DataDir:   filepath.Join(t.dataRoot, "n1"),
		LogPath:   filepath.Join(mustAbs(t.runDir), "n1.log"),
		FaultFile: filepath.Join(t.dataRoot, "n1.faults"),
		ExtraArgs: []string{"--subscriber-buffer-bytes", "65536"},
	})
}

func (t *test) newRunner(n node.Node, rec *history.Recorder, env *workload.Env) *nemesis.Runner {
	r := &nemesis.Runner{
		Node: n, Rec: rec, Steps: t.steps, Start: t.started, Env: env,
		Channels: workload.AllChannels(t.workloads),
		ProbeDir: filepath.Join(t.dataRoot, "probes"), LogDir: mustAbs(t.runDir), Binary: t.opts.binary,
	}
	r.BaseMode.UnsafeNoSync = t.opts.noSync
	return r
}

// drive runs workloads and the nemesis until the run's length is up.
func (t *test) drive(ctx context.Context, env *workload.Env, runner *nemesis.Runner) error {
	runCtx, cancel := context.WithDeadline(ctx, t.started.Add(t.opts.length))
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(t.workloads))
	for i, w := range t.workloads {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = w.Run(runCtx, env) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); runner.Run(runCtx) }()
	wg.Wait()
	return errors.Join(errs...)
}

// finish heals every fault, makes the final reads and stops the node.
func (t *test) finish(ctx context.Context, env *workload.Env, runner *nemesis.Runner, n node.Node) error {
	healCtx, cancel := context.WithTimeout(ctx, healTimeout)
	defer cancel()
	if err := runner.Heal(healCtx); err != nil {
		return fmt.Errorf("heal: %w", err)
	}
	finalCtx, cancel2 := context.WithTimeout(ctx, finalTimeout)
	defer cancel2()
	var errs []error
	for _, w := range t.workloads {
		errs = append(errs, w.Final(finalCtx, env))
	}
	errs = append(errs, n.Stop())
	return errors.Join(errs...)
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the rewind checkout, or pass --bin")
		}
		dir = parent
	}
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}
