// Package bench is the harness behind `rewind bench`: it starts rewind and
// redis-server in several persistence configurations, drives each with the same
// lean raw-RESP client, and reports throughput, latency and memory side by side,
// with rewind/redis ratios, as a table and as JSON. Given an older rewind
// build (--rewind-base) and several runs (--runs), it also compares the two
// builds: the medians of the runs, with rewind/rewind-base ratios.
//
// The package owns every process it starts: each server runs on a private
// loopback port with its data in a temporary directory, and Main stops and
// removes all of them before it returns, also on error or Ctrl-C.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Main runs `rewind bench` with args (without the program and subcommand
// names) and returns the process exit code: 0 when every measurement
// succeeded, 1 when one failed or the run was interrupted, 2 on bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "rewind bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, opts, stdout, stderr)
}

// harness holds the state of one run.
type harness struct {
	opts      options
	stderr    io.Writer
	tmpRoot   string
	systems   []system     // the selected systems, in allSystems order
	order     []system     // the systems in the order the current run takes them
	run       atomic.Int32 // the current run, from 1; 0 before the first
	started   time.Time
	loadStart string // /proc/loadavg when the run started

	mu        sync.Mutex
	live      map[*server]struct{}
	startErrs map[string]error
	results   []Result
	notes     []string
}

func run(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	h := &harness{opts: opts, stderr: stderr, started: time.Now(),
		live: map[*server]struct{}{}, startErrs: map[string]error{}}
	if err := h.setup(ctx); err != nil {
		fmt.Fprintln(stderr, "rewind bench:", err)
		h.cleanup()
		return 2
	}
	defer h.cleanup()
	h.runAll(ctx)
	rep := h.report()
	writeTable(stdout, rep)
	writeRatios(stdout, rep)
	if err := writeJSON(opts.JSONPath, rep); err != nil {
		fmt.Fprintln(stderr, "rewind bench:", err)
		return 1
	}
	h.progress("wrote %s", opts.JSONPath)
	return h.exitCode(ctx)
}

// setup resolves the binaries, raises the file limit and creates the temp root.
func (h *harness) setup(ctx context.Context) error {
	if err := h.resolveBinaries(ctx); err != nil {
		return err
	}
	if limit, err := raiseNoFileLimit(); err != nil {
		h.note("could not raise RLIMIT_NOFILE: %v", err)
	} else if uint64(h.opts.Conns)+256 > limit {
		h.note("RLIMIT_NOFILE is %d; the memory workload needs about %d", limit, h.opts.Conns+256)
	}
	h.checkIdle()
	dir, err := os.MkdirTemp("", "rewind-bench-")
	if err != nil {
		return err
	}
	h.tmpRoot = dir
	if onTmpfs(dir) {
		h.note("data directories are on tmpfs (%s), where fsync is free; set TMPDIR to a disk-backed directory", dir)
	}
	return nil
}

// resolveBinaries finds rewind and redis-server and picks the systems to run.
func (h *harness) resolveBinaries(ctx context.Context) error {
	if h.opts.RewindPath == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--rewind not given and the executable is unknown: %w", err)
		}
		h.opts.RewindPath = exe
	}
	if h.wantsRedis() {
		if err := h.findRedis(ctx); err != nil {
			return err
		}
	}
	for _, s := range allSystems {
		if !slices.Contains(h.opts.Systems, s.Name) || (!s.isRewind() && h.opts.RedisPath == "") {
			continue
		}
		h.systems = append(h.systems, s)
	}
	if len(h.systems) == 0 {
		return errors.New("no system left to benchmark")
	}
	h.order = h.systems
	return nil
}

func (h *harness) wantsRedis() bool {
	for _, n := range h.opts.Systems {
		if strings.HasPrefix(n, "redis-") {
			return true
		}
	}
	return false
}

// findRedis sets opts.RedisPath, installing redis-server if allowed; it leaves
// it empty (and says so) when redis-server cannot be found.
func (h *harness) findRedis(ctx context.Context) error {
	if h.opts.RedisPath != "" {
		if _, err := exec.LookPath(h.opts.RedisPath); err != nil {
			return fmt.Errorf("--redis-server: %w", err)
		}
		return nil
	}
	path, err := exec.LookPath("redis-server")
	if err != nil && h.opts.Install {
		h.progress("redis-server not in PATH; running apt-get install -y redis-server")
		if ierr := h.aptInstall(ctx); ierr != nil {
			h.note("apt-get install redis-server failed: %v", ierr)
		}
		path, err = exec.LookPath("redis-server")
	}
	if err != nil {
		what := "skipping the redis systems"
		if slices.Contains(h.opts.Systems, "rewind") {
			what = "running rewind alone"
		}
		h.note("redis-server not found in PATH (pass --redis-server PATH or --install); %s", what)
		return nil
	}
	h.opts.RedisPath = path
	return nil
}

func (h *harness) aptInstall(ctx context.Context) error {
	install := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "redis-server")
		cmd.Stdout, cmd.Stderr = h.stderr, h.stderr
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.Run()
	}
	if install() == nil {
		return nil
	}
	update := exec.CommandContext(ctx, "apt-get", "update")
	update.Stdout, update.Stderr = h.stderr, h.stderr
	if err := update.Run(); err != nil {
		return err
	}
	return install()
}

// checkIdle records the load average and warns when the machine is busy,
// since other work skews every number (especially on a 2-core machine).
func (h *harness) checkIdle() {
	h.loadStart = loadAvg()
	f := strings.Fields(h.loadStart)
	if len(f) == 0 {
		return
	}
	if load, err := strconv.ParseFloat(f[0], 64); err == nil && load > 0.5*float64(runtime.NumCPU()) {
		h.note("the machine is busy (load average %s on %d CPUs): numbers will be noisy", h.loadStart, runtime.NumCPU())
	}
}

// runAll runs the selected workloads --runs times, taking the systems in
// runOrder, so that neither of two systems always goes first.
func (h *harness) runAll(ctx context.Context) {
	for run := 1; run <= h.opts.Runs && ctx.Err() == nil; run++ {
		h.order = runOrder(h.systems, run)
		h.run.Store(int32(run))
		if h.opts.Runs > 1 {
			h.progress("systems in order %s", strings.Join(systemNamesOf(h.order), ", "))
		}
		h.runWorkloads(ctx)
	}
	h.run.Store(0) // what follows belongs to no run
}

// runOrder returns the order in which run (counted from 1) takes the
// systems: as given on odd runs, reversed on even ones, so every pair of
// systems swaps places from one run to the next.
func runOrder(systems []system, run int) []system {
	order := slices.Clone(systems)
	if run%2 == 0 {
		slices.Reverse(order)
	}
	return order
}

// runWorkloads runs the selected workloads in a fixed order.
func (h *harness) runWorkloads(ctx context.Context) {
	o := &h.opts
	steps := []struct {
		want bool
		run  func(context.Context)
	}{
		{o.wantWorkload("publish"), h.runPublish},
		{o.wantWorkload("replay") || o.wantWorkload("memory"), h.runStored},
		{o.wantWorkload("latency"), h.runLatency},
		{o.wantWorkload("fanout"), h.runFanout},
		{o.wantWorkload("memory"), h.runMemoryConns},
		{o.wantWorkload("groups"), h.runGroups},
	}
	for _, s := range steps {
		if s.want && ctx.Err() == nil {
			s.run(ctx)
		}
	}
}

// cleanup stops every server still running and removes the temp root.
func (h *harness) cleanup() {
	h.mu.Lock()
	live := make([]*server, 0, len(h.live))
	for s := range h.live {
		live = append(live, s)
	}
	h.mu.Unlock()
	for _, s := range live {
		if err := h.stopServer(s); err != nil {
			h.progress("cleanup: %v", err)
		}
	}
	if h.tmpRoot != "" {
		os.RemoveAll(h.tmpRoot)
	}
}

func (h *harness) exitCode(ctx context.Context) int {
	if ctx.Err() != nil {
		h.progress("interrupted")
		return 1
	}
	failed := 0
	for _, r := range h.results {
		if r.Error != "" {
			failed++
		}
	}
	if failed > 0 {
		h.progress("%d measurement(s) failed; see the ERROR rows and %s", failed, h.opts.JSONPath)
		return 1
	}
	return 0
}

func (h *harness) track(s *server) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live[s] = struct{}{}
}

func (h *harness) untrack(s *server) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.live, s)
}

func (h *harness) startErr(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.startErrs[name]
}

func (h *harness) setStartErr(name string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.startErrs[name] = err
}

// progress prints one line on stderr, prefixed with the time since the start
// and, when there are several runs, with the current one.
func (h *harness) progress(format string, args ...any) {
	elapsed := time.Since(h.started).Round(100 * time.Millisecond)
	run := ""
	if n := h.run.Load(); n > 0 && h.opts.Runs > 1 {
		run = fmt.Sprintf("run %d/%d: ", n, h.opts.Runs)
	}
	fmt.Fprintf(h.stderr, "[%7s] %s%s\n", elapsed, run, fmt.Sprintf(format, args...))
}

// note records a remark for the report and prints it.
func (h *harness) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.mu.Lock()
	h.notes = append(h.notes, msg)
	h.mu.Unlock()
	h.progress("note: %s", msg)
}

// record adds a result and prints it as a progress line. With several
// runs, the result carries the number of its run.
func (h *harness) record(r Result) {
	if sys, ok := findSystem(r.System); ok && r.Label == "" {
		r.Label = sys.Label
	}
	if h.opts.Runs > 1 {
		r.Run = int(h.run.Load())
	}
	h.mu.Lock()
	h.results = append(h.results, r)
	h.mu.Unlock()
	h.progress("%s %s on %s: %s", r.Workload, r.Test, r.System, r.summary())
}

// systemsFor returns the systems a test runs on, in the current run's order:
// XADD-based tests only on persistent ones, since redis without persistence
// is a Pub/Sub reference.
func (h *harness) systemsFor(needsPersistence bool) []system {
	var out []system
	for _, s := range h.order {
		if s.persistent || !needsPersistence {
			out = append(out, s)
		}
	}
	return out
}

func findSystem(name string) (system, bool) {
	for _, s := range allSystems {
		if s.Name == name {
			return s, true
		}
	}
	return system{}, false
}
