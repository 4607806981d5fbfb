// Command jepsen is rewind's fault-injection harness: it builds rewind from
// this checkout, runs real `rewind serve` processes under kill -9, pauses,
// power loss, disk faults and file corruption while clients write and read
// through the Redis protocol, records every operation, and checks the
// history. See README.md.
//
//	go run ./jepsen --time 60s --nemesis kill,pause,powerloss,diskfault --workload queue,log,subscribe --rate 2000 --out runs/
//	go run ./jepsen check runs/<timestamp>
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/rewind-mq/rewind/jepsen/nemesis"
)

// Exit statuses.
const (
	exitValid       = 0
	exitInvalid     = 1 // the checker found a violation
	exitUsage       = 2
	exitError       = 3 // the harness itself failed
	exitInterrupted = 130
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return checkMain(args[1:], stdout, stderr)
	}
	return testMain(args, stdout, stderr)
}

// options are the flags of a test run.
type options struct {
	length      time.Duration
	nemeses     string
	workloads   string
	rate        int
	out         string
	seed        uint64
	channels    int
	writers     int
	readers     int
	subscribers int
	named       int
	timeout     time.Duration
	keepData    bool
	noSync      bool
	binary      string
	maxExamples int
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := pflag.NewFlagSet("jepsen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.length, "time", 60*time.Second, "how long clients run under faults (final reads and checking come after)")
	fs.StringVar(&o.nemeses, "nemesis", "kill,pause,powerloss,diskfault,corrupt", "faults, comma-separated: kill, pause, powerloss, diskfault, corrupt; all; none")
	fs.StringVar(&o.workloads, "workload", "queue,log,subscribe", "workloads, comma-separated: queue, log, subscribe")
	fs.IntVar(&o.rate, "rate", 2000, "client operations per second, all clients together (0: as fast as they go)")
	fs.StringVar(&o.out, "out", "runs", "directory for run directories (each named by its start time)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the fault schedule and client choices (0: from the clock; printed)")
	fs.IntVar(&o.channels, "channels", 4, "channels of the log workload")
	fs.IntVar(&o.writers, "writers", 8, "writer processes of the log workload (the subscribe workload has half as many)")
	fs.IntVar(&o.readers, "readers", 2, "reader processes of the log workload")
	fs.IntVar(&o.subscribers, "subscribers", 3, "live subscribers of the subscribe workload")
	fs.IntVar(&o.named, "named", 2, "named (resumable) subscribers of the subscribe workload")
	fs.DurationVar(&o.timeout, "op-timeout", 2*time.Second, "client timeout of one operation (then its outcome is unknown)")
	fs.BoolVar(&o.keepData, "keep-data", false, "keep the nodes' data directories (default: deleted at exit)")
	fs.BoolVar(&o.noSync, "unsafe-no-sync", false, "run nodes with --unsafe-no-sync: with power loss, the checker must report lost writes")
	fs.StringVar(&o.binary, "bin", "", "use this rewind binary instead of building one from the checkout")
	fs.IntVar(&o.maxExamples, "examples", 5, "examples kept per anomaly kind")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./jepsen [flags]\n       go run ./jepsen check RUN_DIR\n\nRuns rewind under faults and checks what clients saw. Exit status: 0 valid, 1 violations, 2 usage, 3 harness error, 130 interrupted.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.length <= 0 || o.channels < 1 || o.writers < 1 || o.readers < 0 || o.subscribers < 0 || o.named < 0 {
		return o, fmt.Errorf("--time, --channels and --writers must be positive")
	}
	if _, err := nemesis.ParseKinds(o.nemeses); err != nil {
		return o, err
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	return o, nil
}

func testMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err == pflag.ErrHelp {
		return exitValid
	}
	if err != nil {
		fmt.Fprintln(stderr, "jepsen:", err)
		return exitUsage
	}
	t, err := newTest(o, args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "jepsen:", err)
		return exitUsage
	}
	return t.run(stdout, stderr)
}
