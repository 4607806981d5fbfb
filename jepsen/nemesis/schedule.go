// Package nemesis injects faults into the nodes on a schedule drawn from a
// seed, and records the start and end of each in the history.
//
// Faults: kill (SIGKILL, restart), pause (SIGSTOP, SIGCONT), powerloss
// (the node loses what was not fsync'd; see cmd/rewind/powerloss.go),
// diskfault (failing or stalling fsyncs and writes, disk full; see
// cmd/rewind/faultfs.go) and corrupt (a stopped node's files are copied,
// damaged, and served by a probe node whose answers are recorded).
package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Kinds of faults.
const (
	Kill      = "kill"
	Pause     = "pause"
	PowerLoss = "powerloss"
	DiskFault = "diskfault"
	Corrupt   = "corrupt"
)

// Kinds lists every fault kind.
func Kinds() []string { return []string{Kill, Pause, PowerLoss, DiskFault, Corrupt} }

// ParseKinds parses a comma-separated list ("all": every kind; "none": no
// faults).
func ParseKinds(s string) ([]string, error) {
	switch s {
	case "all":
		return Kinds(), nil
	case "none", "":
		return nil, nil
	}
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(Kinds(), k) {
			return nil, fmt.Errorf("unknown nemesis %q (have: %s)", k, strings.Join(Kinds(), ", "))
		}
		out = append(out, k)
	}
	return out, nil
}

// Step is one scheduled fault.
type Step struct {
	At       time.Duration `json:"at"`       // from the start of the run
	Kind     string        `json:"kind"`     //
	Duration time.Duration `json:"duration"` // how long the fault lasts
	Variant  int           `json:"variant"`  // which flavour (disk fault rule, corruption), drawn from the seed
}

// Schedule draws a fault sequence for a run of length total: one fault at
// a time, each followed by a quiet period for the node to recover, none in
// the last few seconds.
func Schedule(seed uint64, kinds []string, total time.Duration) []Step {
	if len(kinds) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x6e656d65736973))
	var steps []Step
	at := between(rng, 2*time.Second, 4*time.Second)
	end := total - 5*time.Second
	for at < end {
		kind := kinds[rng.IntN(len(kinds))]
		d := faultLength(rng, kind)
		if at+d > end {
			break
		}
		steps = append(steps, Step{At: at, Kind: kind, Duration: d, Variant: rng.IntN(1 << 20)})
		at += d + between(rng, 2*time.Second, 6*time.Second)
	}
	return steps
}

func faultLength(rng *rand.Rand, kind string) time.Duration {
	switch kind {
	case Pause:
		return between(rng, time.Second, 5*time.Second)
	case DiskFault:
		return between(rng, time.Second, 4*time.Second)
	case Corrupt:
		return 0 // the probe takes as long as it takes
	}
	return between(rng, 200*time.Millisecond, 2*time.Second) // down time
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}

// diskRules are the disk faults a diskfault step picks from (Variant);
// see cmd/rewind/faultfs.go.
var diskRules = []string{
	"sync-error files=wal",
	"sync-stall ms=300 files=wal",
	"sync-stall ms=1500 files=all",
	"write-enospc files=wal",
	"write-error files=wal",
	"write-enospc files=all",
}

// DiskRule is the disk fault rule of a diskfault step.
func (s Step) DiskRule() string { return diskRules[s.Variant%len(diskRules)] }

// endsLife reports whether the step stops the node (a stalled disk does
// not; a failed write or fsync makes it refuse writes until a restart).
func (s Step) endsLife() bool {
	switch s.Kind {
	case Kill, PowerLoss, Corrupt:
		return true
	case DiskFault:
		return !strings.HasPrefix(s.DiskRule(), "sync-stall")
	}
	return false
}

// NeedsPowerLossMode reports whether the node's life that starts before
// step i must run in power-loss mode: the next fault that ends the life is
// a power loss.
func NeedsPowerLossMode(steps []Step, i int) bool {
	for ; i < len(steps); i++ {
		if steps[i].endsLife() {
			return steps[i].Kind == PowerLoss
		}
	}
	return false
}
