package main

// --unsafe-fault-fs FILE: disk faults injected through Pebble's errorfs.
//
// FILE holds one rule, read at start (if the file exists) and again on every
// SIGUSR2:
//
//	off
//	sync-error   [files=wal|sst|all] [p=1]   fsyncs fail with EIO
//	sync-stall   ms=N [files=...] [p=1]      fsyncs block N ms, then succeed
//	write-enospc [files=...] [p=1]           writes and creates fail with ENOSPC
//	write-error  [files=...] [p=1]           writes fail with EIO
//
// files selects Pebble's write-ahead log ("wal", *.log, the default), its
// tables ("sst") or every file ("all"); p is the chance that one matching
// operation is hit. An injected error happens before the operation, so
// nothing is half-done by the injector itself.

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

type faultKind string

const (
	faultOff         faultKind = "off"
	faultSyncError   faultKind = "sync-error"
	faultSyncStall   faultKind = "sync-stall"
	faultWriteENOSPC faultKind = "write-enospc"
	faultWriteError  faultKind = "write-error"
)

// faultRule is one parsed rule of the control file.
type faultRule struct {
	kind        faultKind
	files       string // wal, sst or all
	probability float64
	stall       time.Duration
}

func (r faultRule) String() string {
	if r.kind == faultOff {
		return "off"
	}
	s := fmt.Sprintf("%s files=%s p=%g", r.kind, r.files, r.probability)
	if r.kind == faultSyncStall {
		s += fmt.Sprintf(" ms=%d", r.stall.Milliseconds())
	}
	return s
}

// parseFaultRule parses one rule (see the file comment).
func parseFaultRule(text string) (faultRule, error) {
	words := strings.Fields(text)
	r := faultRule{kind: faultOff, files: "wal", probability: 1}
	if len(words) == 0 {
		return r, nil
	}
	r.kind = faultKind(words[0])
	switch r.kind {
	case faultOff, faultSyncError, faultSyncStall, faultWriteENOSPC, faultWriteError:
	default:
		return r, fmt.Errorf("unknown fault %q", words[0])
	}
	for _, w := range words[1:] {
		if err := r.setOption(w); err != nil {
			return r, err
		}
	}
	if r.kind == faultSyncStall && r.stall <= 0 {
		return r, errors.New("sync-stall needs ms=N")
	}
	return r, nil
}

func (r *faultRule) setOption(word string) error {
	name, value, ok := strings.Cut(word, "=")
	if !ok {
		return fmt.Errorf("option %q is not name=value", word)
	}
	switch name {
	case "files":
		if value != "wal" && value != "sst" && value != "all" {
			return fmt.Errorf("files=%s: want wal, sst or all", value)
		}
		r.files = value
	case "p":
		p, err := strconv.ParseFloat(value, 64)
		if err != nil || p < 0 || p > 1 {
			return fmt.Errorf("p=%s: want a probability", value)
		}
		r.probability = p
	case "ms":
		ms, err := strconv.Atoi(value)
		if err != nil || ms < 0 {
			return fmt.Errorf("ms=%s: want milliseconds", value)
		}
		r.stall = time.Duration(ms) * time.Millisecond
	default:
		return fmt.Errorf("unknown option %q", name)
	}
	return nil
}

// faultInjector is an errorfs.Injector whose rule changes at run time.
type faultInjector struct {
	mu   sync.Mutex
	rule faultRule
	rng  *rand.Rand
}

func (in *faultInjector) String() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.rule.String()
}

func (in *faultInjector) set(r faultRule) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rule = r
}

// MaybeError implements errorfs.Injector.
func (in *faultInjector) MaybeError(op errorfs.Op) error {
	in.mu.Lock()
	r := in.rule
	hit := r.kind != faultOff && r.matches(op) && in.rng.Float64() < r.probability
	in.mu.Unlock()
	if !hit {
		return nil
	}
	switch r.kind {
	case faultSyncStall:
		time.Sleep(r.stall)
		return nil
	case faultWriteENOSPC:
		return &os.PathError{Op: "write", Path: op.Path, Err: syscall.ENOSPC}
	case faultSyncError:
		return &os.PathError{Op: "fsync", Path: op.Path, Err: syscall.EIO}
	default:
		return &os.PathError{Op: "write", Path: op.Path, Err: syscall.EIO}
	}
}

// matches reports whether op is one the rule hits.
func (r faultRule) matches(op errorfs.Op) bool {
	switch r.files {
	case "wal":
		if !strings.HasSuffix(op.Path, ".log") {
			return false
		}
	case "sst":
		if !strings.HasSuffix(op.Path, ".sst") {
			return false
		}
	}
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return r.kind == faultSyncError || r.kind == faultSyncStall
	case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFilePreallocate:
		return r.kind == faultWriteENOSPC || r.kind == faultWriteError
	case errorfs.OpCreate, errorfs.OpReuseForWrite:
		return r.kind == faultWriteENOSPC
	}
	return false
}

// wrapFaultFS wraps fsys with an injector driven by the control file.
func wrapFaultFS(fsys vfs.FS, control string, logger *slog.Logger) (vfs.FS, error) {
	in := &faultInjector{rule: faultRule{kind: faultOff}, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}
	if err := reloadFaultRule(in, control, true); err != nil {
		return nil, err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2)
	go func() {
		for range sig {
			if err := reloadFaultRule(in, control, false); err != nil {
				logger.Error("disk faults: bad control file", "file", control, "err", err)
				continue
			}
			logger.Warn("disk faults changed", "rule", in.String())
		}
	}()
	logger.Warn("UNSAFE: disk fault injection enabled (test only)", "control", control, "rule", in.String())
	return errorfs.Wrap(fsys, in), nil
}

// reloadFaultRule reads the control file into in. A missing file is "off"
// when missingOK.
func reloadFaultRule(in *faultInjector, control string, missingOK bool) error {
	text, err := os.ReadFile(control)
	if errors.Is(err, os.ErrNotExist) && missingOK {
		return nil
	}
	if err != nil {
		return err
	}
	r, err := parseFaultRule(string(text))
	if err != nil {
		return err
	}
	in.set(r)
	return nil
}
