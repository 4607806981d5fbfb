package main

// Test-only filesystems for the fault-injection harness (jepsen/).
//
// --unsafe-powerloss-fs runs the node on Pebble's crashable in-memory
// filesystem, loaded from --dir at start. SIGUSR1 is a power cut: the node
// keeps only what was fsync'd at that instant (vfs.MemFS.CrashClone with no
// unsynced data), writes it over --dir and exits at once with
// powerLossExitCode, closing nothing. A restart (in either mode) starts from
// that state. SIGTERM/SIGINT shut down as usual and then write the whole
// in-memory state (synced or not: the OS would have kept it) to --dir.
//
// --unsafe-fault-fs (faultfs.go) wraps whichever filesystem is in use with
// Pebble's errorfs so that fsyncs and writes can be failed or stalled.

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/spf13/pflag"
)

// powerLossExitCode is the exit status after a simulated power cut.
const powerLossExitCode = 3

// testFSFlags are serve's hidden, test-only filesystem modes.
type testFSFlags struct {
	powerLoss    bool
	faultControl string
}

func (t *testFSFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&t.powerLoss, "unsafe-powerloss-fs", false, "test only: run on an in-memory crashable filesystem loaded from --dir; SIGUSR1 keeps only fsync'd data, writes it to --dir and exits 3")
	fs.StringVar(&t.faultControl, "unsafe-fault-fs", "", "test only: inject disk faults described in `FILE` (re-read on SIGUSR2)")
	_ = fs.MarkHidden("unsafe-powerloss-fs")
	_ = fs.MarkHidden("unsafe-fault-fs")
}

// testFilesystem returns the filesystem the broker runs on (nil: the real
// one) and finish, to call once the broker is closed.
func testFilesystem(dir string, t testFSFlags, logger *slog.Logger) (vfs.FS, func() error, error) {
	var fsys vfs.FS = vfs.Default
	finish := func() error { return nil }
	if t.powerLoss {
		mem, err := loadCrashableMem(dir)
		if err != nil {
			return nil, nil, fmt.Errorf("--unsafe-powerloss-fs: %w", err)
		}
		freeze := &syncFreezer{}
		handlePowerLoss(mem, freeze, dir, logger)
		fsys = errorfs.Wrap(mem, freeze)
		finish = func() error { return persistMem(mem, dir) }
		logger.Warn("UNSAFE: running on an in-memory crashable filesystem (test only)", "dir", dir)
	}
	if t.faultControl != "" {
		wrapped, err := wrapFaultFS(fsys, t.faultControl, logger)
		if err != nil {
			return nil, nil, fmt.Errorf("--unsafe-fault-fs: %w", err)
		}
		fsys = wrapped
	}
	if fsys == vfs.Default {
		return nil, finish, nil
	}
	return fsys, finish, nil
}

// handlePowerLoss makes SIGUSR1 a power cut (see the file comment). The
// cut first freezes fsyncs, so that nothing becomes durable — and so
// nothing more is acknowledged or shown to readers — while the synced state
// is cloned and written out.
func handlePowerLoss(mem *vfs.MemFS, freeze *syncFreezer, dir string, logger *slog.Logger) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		<-sig
		freeze.frozen.Store(true)
		clone := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		if err := persistMem(clone, dir); err != nil {
			logger.Error("power loss: could not write the synced state", "err", err)
			os.Exit(1)
		}
		logger.Warn("power loss: kept only fsync'd data", "dir", dir)
		os.Exit(powerLossExitCode)
	}()
}

// syncFreezer is an errorfs.Injector that, once frozen, blocks every
// sync for good (the process exits soon after).
type syncFreezer struct{ frozen atomic.Bool }

func (f *syncFreezer) String() string { return "syncFreezer" }

func (f *syncFreezer) MaybeError(op errorfs.Op) error {
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		if f.frozen.Load() {
			select {} // the power is off
		}
	}
	return nil
}

// loadCrashableMem copies dir (files and subdirectories) into a new
// crashable MemFS at the same path, every file and directory synced, so that
// a crash clone taken at once equals dir. The MemFS's root is both "/" and
// the working directory, so dir must not climb out with "..".
func loadCrashableMem(dir string) (*vfs.MemFS, error) {
	clean := filepath.Clean(dir)
	if clean != dir && clean+"/" != dir || strings.HasPrefix(clean, "..") {
		return nil, fmt.Errorf("--dir %q: give a clean path (e.g. absolute)", dir)
	}
	mem := vfs.NewCrashableMem()
	var dirs []string
	err := filepath.WalkDir(clean, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
			return mem.MkdirAll(path, 0o755)
		}
		return copyFileToMem(mem, path)
	})
	if err != nil {
		return nil, err
	}
	for p := clean; ; p = filepath.Dir(p) {
		dirs = append(dirs, p)
		if p == filepath.Dir(p) {
			break
		}
	}
	for _, d := range dirs {
		if err := syncMemDir(mem, d); err != nil {
			return nil, err
		}
	}
	return mem, nil
}

func copyFileToMem(mem *vfs.MemFS, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := mem.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func syncMemDir(mem *vfs.MemFS, path string) error {
	d, err := mem.OpenDir(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// persistMem replaces dir on disk with src's copy of it: written beside it
// as dir.tmp, then swapped in by two renames.
func persistMem(src vfs.FS, dir string) error {
	abs := filepath.Clean(dir)
	tmp, old := abs+".tmp", abs+".old"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := copyMemTree(src, abs, tmp); err != nil {
		return fmt.Errorf("persist %s: %w", abs, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return err
	}
	if err := os.Rename(abs, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// copyMemTree copies the tree at from in src to the real directory to.
func copyMemTree(src vfs.FS, from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	names, err := src.List(from)
	if err != nil {
		return err
	}
	for _, name := range names {
		sp, dp := src.PathJoin(from, name), filepath.Join(to, name)
		st, err := src.Stat(sp)
		if err != nil {
			return err
		}
		if st.IsDir() {
			err = copyMemTree(src, sp, dp)
		} else {
			err = vfs.CopyAcrossFS(src, sp, vfs.Default, dp)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
