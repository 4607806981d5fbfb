package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// errHelp is returned by parseFlags when --help was given (usage already printed).
var errHelp = errors.New("help requested")

var workloadNames = []string{"publish", "replay", "latency", "fanout", "memory", "groups"}

// options are the parsed flags of `rewind bench`.
type options struct {
	RewindPath     string        `json:"rewind"`
	RewindBasePath string        `json:"rewind_base,omitempty"`
	Runs           int           `json:"runs"`
	RedisPath      string        `json:"redis_server"`
	Install        bool          `json:"install"`
	Systems        []string      `json:"systems"`
	Workloads      []string      `json:"workloads"`
	Duration       time.Duration `json:"duration_ns"`
	Warmup         time.Duration `json:"warmup_ns"`
	Smoke          bool          `json:"smoke"`
	Entries        int           `json:"entries"`
	PayloadBytes   int           `json:"payload_bytes"`
	Rate           int           `json:"rate"`
	Subscribers    int           `json:"subscribers"`
	Conns          int           `json:"conns"`
	RESP3          bool          `json:"resp3"`
	JSONPath       string        `json:"json"`
}

const usageHeader = `Usage: rewind bench [flags]

Benchmarks rewind against redis-server 7 on this machine. Each system is started
fresh by the harness on a private loopback port with its data in a temporary
directory, and stopped and removed at the end (also on error or Ctrl-C). The same
raw-RESP client drives every system. Results go to a table on stdout, followed by
rewind/redis ratios, and to a JSON file; progress goes to stderr.

To compare two rewind builds, give the older one with --rewind-base and repeat the
run with --runs N: the systems alternate their order from one run to the next, the
table and the ratios (rewind/rewind-base among them) report the median of the runs,
and the JSON keeps every run's results too.

Systems (--systems):
  rewind           <rewind> serve --bind 127.0.0.1 --port P --dir DIR
  rewind-base      the same, started from --rewind-base (only with that flag, which
                   adds it to the selection)
  redis-always     appendonly yes, appendfsync always   (durable, like rewind)
  redis-everysec   appendonly yes, appendfsync everysec (may lose the last second)
  redis-nopersist  appendonly no, no RDB: the "redis (no persistence)" reference

Workloads (--workloads):
  publish  XADD ch * message P and PUBLISH ch P; 1 and 32 clients, each with 1 and
           100 commands in flight: msgs/s and per-command latency p50/p99/p99.9
  replay   load --entries entries (untimed), read them back with XRANGE pages of
           1000: entries/s; for rewind (and rewind-base) also 'rewind replay' via
           server and --dir
  latency  publish->deliver at a paced --rate: PUBLISH->SUBSCRIBE and
           XADD->XREAD BLOCK, measured from each message's scheduled send time
  fanout   1 publisher (100 PUBLISH in flight), --subscribers on one channel:
           deliveries/s
  memory   server RSS per idle subscribed connection (--conns connections), and
           bytes per stored entry (rewind: data dir on disk; redis: RAM and AOF)
  groups   consumer groups: --entries entries consumed by 8 consumers with XREADGROUP
           COUNT 100 + XACK (entries/s, the median of 3 new groups in turn); 1000 groups (smoke: 50) each consuming one
           channel (deliveries/s); server RSS per pending (unacked) entry

Flags:
`

// parseFlags parses args into options and applies --smoke defaults.
func parseFlags(args []string, stdout, stderr io.Writer) (options, error) {
	var o options
	var help bool
	fs := pflag.NewFlagSet("rewind bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.StringVar(&o.RewindPath, "rewind", "", "`path` of the rewind binary to start (default: this executable)")
	fs.StringVar(&o.RewindBasePath, "rewind-base", "", "`path` of an older rewind build, run as system rewind-base")
	fs.IntVar(&o.Runs, "runs", 1, "run everything `N` times, the systems in alternating order; report medians")
	fs.StringVar(&o.RedisPath, "redis-server", "", "`path` of redis-server (default: redis-server in PATH)")
	fs.BoolVar(&o.Install, "install", false, "if redis-server is missing, run 'apt-get install -y redis-server'")
	fs.StringSliceVar(&o.Systems, "systems", []string{"all"}, "comma-separated `list` of systems to run, or all")
	fs.StringSliceVar(&o.Workloads, "workloads", []string{"all"}, "comma-separated `list` of workloads to run, or all")
	fs.DurationVar(&o.Duration, "duration", 5*time.Second, "measured time per measurement (smoke: 200ms)")
	fs.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured run before each throughput measurement (smoke: 0)")
	fs.BoolVar(&o.Smoke, "smoke", false, "make everything tiny (whole run well under 15s); for CI")
	fs.IntVar(&o.Entries, "entries", 1_000_000, "`N` entries stored and read back by replay (smoke: 20000)")
	fs.IntVar(&o.PayloadBytes, "payload-bytes", 100, "message payload size in `bytes`")
	fs.IntVar(&o.Rate, "rate", 5000, "`msgs/s` sent at a steady pace by the latency workload")
	fs.IntVar(&o.Subscribers, "subscribers", 100, "`N` subscribers of the fanout workload")
	fs.IntVar(&o.Conns, "conns", 5000, "`N` idle subscribed connections of the memory workload (smoke: 500)")
	fs.BoolVar(&o.RESP3, "resp3", false, "send HELLO 3 on every connection (default: RESP2)")
	fs.StringVar(&o.JSONPath, "json", "bench-results.json", "write all results as JSON to `file`")
	fs.BoolVarP(&help, "help", "h", false, "show this help")
	fs.Usage = func() { printUsage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if help {
		printUsage(stdout, fs)
		return o, errHelp
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	applySmoke(fs, &o)
	return o, o.normalize()
}

func printUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprint(w, usageHeader)
	// pflag marks bool flags "[=true|false]"; blank it out, keeping the alignment.
	fmt.Fprint(w, strings.ReplaceAll(fs.FlagUsages(), "[=true|false]", "             "))
}

// applySmoke shrinks every size that was not set explicitly.
func applySmoke(fs *pflag.FlagSet, o *options) {
	if !o.Smoke {
		return
	}
	set := func(name string, apply func()) {
		if !fs.Changed(name) {
			apply()
		}
	}
	set("duration", func() { o.Duration = 200 * time.Millisecond })
	set("warmup", func() { o.Warmup = 0 })
	set("entries", func() { o.Entries = 20_000 })
	set("conns", func() { o.Conns = 500 })
}

// normalize expands "all" and checks names and ranges.
func (o *options) normalize() error {
	if err := o.normalizeSystems(); err != nil {
		return err
	}
	var err error
	if o.Workloads, err = expandList("workload", o.Workloads, workloadNames); err != nil {
		return err
	}
	switch {
	case o.Duration <= 0:
		return errors.New("--duration must be positive")
	case o.Warmup < 0:
		return errors.New("--warmup must not be negative")
	case o.Runs <= 0:
		return errors.New("--runs must be positive")
	case o.Entries <= 0, o.PayloadBytes <= 0, o.Rate <= 0, o.Subscribers <= 0, o.Conns <= 0:
		return errors.New("--entries, --payload-bytes, --rate, --subscribers and --conns must be positive")
	}
	return nil
}

// normalizeSystems expands --systems: rewind-base is known only when
// --rewind-base is given, and then it always joins the run.
func (o *options) normalizeSystems() error {
	known := systemNames()
	if o.RewindBasePath == "" {
		if slices.ContainsFunc(o.Systems, func(n string) bool { return strings.TrimSpace(n) == baseSystem }) {
			return errors.New("--systems rewind-base needs --rewind-base PATH")
		}
		known = slices.DeleteFunc(known, func(n string) bool { return n == baseSystem })
	} else {
		o.Systems = append(slices.Clone(o.Systems), baseSystem)
	}
	var err error
	o.Systems, err = expandList("system", o.Systems, known)
	return err
}

// expandList validates names against known (keeping known's order) and expands "all".
func expandList(kind string, names, known []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		switch {
		case n == "all":
			for _, k := range known {
				want[k] = true
			}
		case slices.Contains(known, n):
			want[n] = true
		case n != "":
			return nil, fmt.Errorf("unknown %s %q (known: %s)", kind, n, strings.Join(known, ", "))
		}
	}
	var out []string
	for _, k := range known {
		if want[k] {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s selected", kind)
	}
	return out, nil
}

func systemNames() []string { return systemNamesOf(allSystems) }

func systemNamesOf(systems []system) []string {
	names := make([]string, len(systems))
	for i, s := range systems {
		names[i] = s.Name
	}
	return names
}

func (o *options) wantWorkload(name string) bool { return slices.Contains(o.Workloads, name) }
