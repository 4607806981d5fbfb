package nemesis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rewind-mq/rewind/jepsen/history"
	"github.com/rewind-mq/rewind/jepsen/node"
	"github.com/rewind-mq/rewind/jepsen/workload"
)

// Runner applies a schedule to one node (the cluster harness will give it
// several) and restarts the node whenever it dies outside a fault.
type Runner struct {
	Node     node.Node
	Rec      *history.Recorder
	Steps    []Step
	Start    time.Time // the run's start: Step.At counts from here
	Env      *workload.Env
	Channels []string // read by corruption probes
	ProbeDir string   // scratch space for corrupted copies
	LogDir   string   // where probe nodes' logs go
	Binary   string
	BaseMode node.Mode // every life: e.g. UnsafeNoSync

	mu      sync.Mutex // held while a fault manipulates the node
	step    int        // the next step (for the mode of the next life)
	current atomic.Value
	probes  int
}

// Current describes the fault in progress ("" when none).
func (r *Runner) Current() string {
	s, _ := r.current.Load().(string)
	return s
}

// ModeAt returns the mode for a node life that starts before step i.
func (r *Runner) ModeAt(i int) node.Mode {
	m := r.BaseMode
	m.PowerLoss = NeedsPowerLossMode(r.Steps, i)
	return m
}

// Run applies every step at its time, until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	go r.watch(ctx)
	for i, st := range r.Steps {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(r.Start.Add(st.At))):
		}
		r.apply(ctx, i, st)
	}
}

func (r *Runner) apply(ctx context.Context, i int, st Step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step = i + 1
	r.current.Store(st.Kind)
	defer r.current.Store("")
	switch st.Kind {
	case Kill:
		r.crashRestart(ctx, Kill, st, r.Node.Kill, "SIGKILL")
	case PowerLoss:
		if !r.Node.Mode().PowerLoss { // cannot happen with a consistent schedule
			r.crashRestart(ctx, Kill, st, r.Node.Kill, "SIGKILL (node not in power-loss mode)")
			return
		}
		r.crashRestart(ctx, PowerLoss, st, r.Node.PowerLoss, "power cut: only fsync'd data kept")
	case Pause:
		r.pause(st)
	case DiskFault:
		r.diskFault(ctx, st)
	case Corrupt:
		r.corrupt(ctx, st)
	}
}

// event records a nemesis event.
func (r *Runner) event(typ history.Type, f, nodeName, detail string) {
	r.Rec.Record(history.Op{Process: history.NemesisProcess, Type: typ, F: f, Node: nodeName, Detail: detail})
}

// end records the end of a fault: OK, or Info with the error.
func (r *Runner) end(f string, err error, detail string) {
	if err != nil {
		r.event(history.Info, f, r.Node.Name(), fmt.Sprintf("%s: %v", detail, err))
		return
	}
	r.event(history.OK, f, r.Node.Name(), detail)
}

// crashRestart takes the node down with crash, keeps it down for the
// step's duration, and starts it again.
func (r *Runner) crashRestart(ctx context.Context, f string, st Step, crash func() error, how string) {
	r.event(history.Invoke, f, r.Node.Name(), fmt.Sprintf("%s; down %v", how, st.Duration.Round(time.Millisecond)))
	if err := crash(); err != nil {
		r.end(f, err, "crash failed")
		return
	}
	exit := r.Node.LastExit()
	sleep(ctx, st.Duration)
	began := time.Now()
	err := r.restart(ctx)
	r.end(f, err, fmt.Sprintf("exited (%s); restarted in %v", exit, time.Since(began).Round(time.Millisecond)))
}

// restart starts the node in the mode its next life needs.
func (r *Runner) restart(ctx context.Context) error {
	if r.Node.Running() {
		return nil
	}
	return r.Node.Start(ctx, r.ModeAt(r.step))
}

func (r *Runner) pause(st Step) {
	r.event(history.Invoke, Pause, r.Node.Name(), fmt.Sprintf("SIGSTOP for %v", st.Duration.Round(time.Millisecond)))
	if err := r.Node.Pause(); err != nil {
		r.end(Pause, err, "pause failed")
		return
	}
	time.Sleep(st.Duration) // a pause always ends, even on Ctrl-C
	r.end(Pause, r.Node.Resume(), "SIGCONT")
}

// diskFault applies one disk rule for the step's duration, then turns it
// off and restarts the node if it refuses writes (or died).
func (r *Runner) diskFault(ctx context.Context, st Step) {
	rule := st.DiskRule()
	r.event(history.Invoke, DiskFault, r.Node.Name(), fmt.Sprintf("%s for %v", rule, st.Duration.Round(time.Millisecond)))
	if err := r.Node.SetDiskFault(rule); err != nil {
		r.end(DiskFault, err, "could not set the rule")
		return
	}
	sleep(ctx, st.Duration)
	_ = r.Node.SetDiskFault("off")
	status := r.writeStatus()
	detail := "faults off; writes " + status
	var err error
	switch status {
	case "ok":
	case "down":
		detail += fmt.Sprintf(" (node exited: %s; log: %s)", r.Node.LastExit(), whyExited(r.Node.LogTail()))
		err = r.restart(ctx)
		detail += "; restarted"
	default:
		_ = r.Node.Kill()
		err = r.restart(ctx)
		detail += "; killed and restarted"
	}
	r.end(DiskFault, err, detail)
}

// writeStatus asks the node whether it still accepts writes: "ok",
// "refused" (a write failed: MISCONF until restart), "down", or "unknown".
func (r *Runner) writeStatus() string {
	if !r.Node.Running() {
		return "down"
	}
	c := redis.NewClient(&redis.Options{Addr: r.Node.Addr(), MaxRetries: -1, ReadTimeout: 5 * time.Second})
	defer c.Close()
	info, err := c.Info(context.Background(), "persistence").Result()
	switch {
	case err != nil:
		return "unknown"
	case strings.Contains(info, "aof_last_write_status:err"):
		return "refused"
	}
	return "ok"
}

// watch restarts the node when it dies outside a fault, recording a
// "crash" event: the server stopped by itself.
func (r *Runner) watch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.Node.Exited():
		}
		r.mu.Lock()
		if !r.Node.Running() && ctx.Err() == nil {
			r.event(history.Invoke, "crash", r.Node.Name(), fmt.Sprintf("the node exited by itself (%s): %s", r.Node.LastExit(), whyExited(r.Node.LogTail())))
			r.end("crash", r.restart(ctx), "restarted")
		}
		r.mu.Unlock()
		sleep(ctx, 50*time.Millisecond)
	}
}

// Heal ends every fault: resumes the node, turns disk faults off, and
// (re)starts it if it is down or refusing writes.
func (r *Runner) Heal(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step = len(r.Steps)
	_ = r.Node.Resume()
	_ = r.Node.SetDiskFault("off")
	if s := r.writeStatus(); s == "refused" || s == "unknown" {
		_ = r.Node.Kill()
	}
	return r.restart(ctx)
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// whyExited picks the telling line of a server log: its panic, else its
// last error, else its last line.
func whyExited(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	lastError := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") {
			return "crashed: " + truncateText(l, 400)
		}
		if strings.Contains(l, "level=ERROR") {
			lastError = l
		}
	}
	if lastError != "" {
		return truncateText(lastError, 400)
	}
	return truncateText(lines[len(lines)-1], 400)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
