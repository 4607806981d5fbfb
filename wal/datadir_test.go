package wal

import (
	"context"
	"errors"
	iofs "io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// requireDirError requires err to be a DirError of kind whose Detail
// contains detail.
func requireDirError(t *testing.T, err error, kind error, detail string) *DirError {
	t.Helper()
	var dirErr *DirError
	if !errors.As(err, &dirErr) || !errors.Is(err, kind) {
		t.Fatalf("Open: %v, want a DirError of kind %v", err, kind)
	}
	if !strings.Contains(dirErr.Detail, detail) {
		t.Fatalf("Open: %v, want %q in its detail", err, detail)
	}
	return dirErr
}

// TestOpenTwiceNamesTheHolder: a second Open of a directory in use says so,
// naming the holder's pid from the PID file, and the file goes at Close.
func TestOpenTwiceNamesTheHolder(t *testing.T) {
	mem := vfs.NewMem()
	l := openMem(t, mem, nil)
	_, err := Open(Options{Dir: "data", FS: mem})
	dirErr := requireDirError(t, err, ErrDirInUse, "pid "+strconv.Itoa(os.Getpid()))
	if want := "data directory data is in use by another rewind process (pid "; !strings.HasPrefix(dirErr.Error(), want) {
		t.Fatalf("message %q, want it to start %q", dirErr.Error(), want)
	}
	if _, err := Open(Options{Dir: "data", FS: mem, ReadOnly: true}); !errors.Is(err, ErrDirInUse) {
		t.Fatalf("read-only Open of a directory in use: %v, want ErrDirInUse", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Stat(mem.PathJoin("data", PIDFile)); !errors.Is(err, iofs.ErrNotExist) {
		t.Fatalf("PID file after Close: %v, want it removed", err)
	}
	openMem(t, mem, nil).Close()
}

// failCreate makes creating (or locking) files named name fail with err.
func failCreate(fs vfs.FS, name string, err error) vfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if (op.Kind == errorfs.OpCreate || op.Kind == errorfs.OpLock) && strings.HasSuffix(op.Path, name) {
			return &iofs.PathError{Op: "open", Path: op.Path, Err: err}
		}
		return nil
	}))
}

func TestOpenUnwritableDir(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EROFS} {
		fs := failCreate(vfs.NewMem(), probeFile, errno)
		_, err := Open(Options{Dir: "data", FS: fs})
		requireDirError(t, err, ErrDirNotWritable, errno.Error())
	}
	// The lock file, the first file created.
	_, err := Open(Options{Dir: "data", FS: failCreate(vfs.NewMem(), "LOCK", syscall.EACCES)})
	requireDirError(t, err, ErrDirNotWritable, "LOCK")
}

func TestOpenFullDisk(t *testing.T) {
	fs := failCreate(vfs.NewMem(), probeFile, syscall.ENOSPC)
	_, err := Open(Options{Dir: "data", FS: fs})
	requireDirError(t, err, ErrDiskFull, "no space left on device")

	mem := vfs.NewMem()
	mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 200 << 10, TotalBytes: 1 << 30, UsedBytes: 1<<30 - 200<<10})
	_, err = Open(Options{Dir: "data", FS: mem})
	requireDirError(t, err, ErrDiskFull, "200.0 KiB free, 1.0 MiB needed")
	// The failed opens released the lock: the directory opens once there
	// is room.
	mem.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30, UsedBytes: 1 << 30})
	openMem(t, mem, nil).Close()
}

// TestDiskFullBackoffWaits: each report waits twice as long as the one
// before, up to the cap; a line is logged at the start of an episode and
// then only at the cap; a quiet minute starts over.
func TestDiskFullBackoffWaits(t *testing.T) {
	b := newDiskFullBackoff(slog.New(slog.DiscardHandler))
	t0 := time.Unix(1000, 0)
	wantWaits := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
	// Reports a second apart: a line for the first, then one per
	// diskFullMaxWait.
	wantLogged := []bool{true, false, false, false, false, true, false, false}
	for i, want := range wantWaits {
		wait, logged, _ := b.next(t0.Add(time.Duration(i) * time.Second))
		if wait != want*time.Millisecond || logged != wantLogged[i] {
			t.Fatalf("report %d: wait %v, logged %v; want %v, %v", i, wait, logged, want*time.Millisecond, wantLogged[i])
		}
	}
	// A burst (the waits end at once while the log closes): no line.
	for i := range 100 {
		if _, logged, _ := b.next(t0.Add(8 * time.Second)); logged {
			t.Fatalf("burst report %d logged", i)
		}
	}
	if wait, logged, _ := b.next(t0.Add(time.Hour)); wait != diskFullFirstWait || !logged {
		t.Fatalf("after a quiet hour: wait %v, logged %v; want %v, true", wait, logged, diskFullFirstWait)
	}
}

// sstENOSPC makes every write to a table fail with ENOSPC while on is set.
type sstENOSPC struct {
	mu sync.Mutex
	on bool
	n  int // writes failed
}

func (s *sstENOSPC) MaybeError(op errorfs.Op) error {
	if op.Kind != errorfs.OpFileWrite || !strings.HasSuffix(op.Path, ".sst") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on {
		return nil
	}
	s.n++
	return syscall.ENOSPC
}

func (s *sstENOSPC) String() string { return "sstENOSPC" }

// TestCloseOnFullDiskReturns: Close's flush fails on a full disk and Pebble
// would retry it forever; Close gives up on it, and the entries are
// replayed from the WAL at the next Open.
func TestCloseOnFullDiskReturns(t *testing.T) {
	mem := vfs.NewMem()
	inj := &sstENOSPC{}
	l := openMem(t, errorfs.Wrap(mem, inj), nil)
	publish(t, l, "ch", "kept")
	inj.mu.Lock()
	inj.on = true
	inj.mu.Unlock()
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Logf("Close: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not return on a full disk")
	}
	inj.mu.Lock()
	failed := inj.n
	inj.on = false
	inj.mu.Unlock()
	if failed == 0 {
		t.Fatal("no table write failed: the test did not fill the disk")
	}
	l = openMem(t, mem, nil)
	defer l.Close()
	if m, _ := l.Meta([]byte("ch")); m.Length != 1 {
		t.Fatalf("after reopening: %d entries, want 1", m.Length)
	}
}

// recordingHandler keeps the records logged through it.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// TestPebbleLoggerLimitsRepeatedErrors: one of Pebble's error lines
// repeated a thousand times logs a handful; another still gets through.
func TestPebbleLoggerLimitsRepeatedErrors(t *testing.T) {
	h := &recordingHandler{}
	p := newPebbleLogger(slog.New(h))
	for i := range 1000 {
		p.Errorf("background error: %s", "write "+strconv.Itoa(i)+".sst: no space left on device")
	}
	p.Errorf("another error: %d", 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.records); n < 2 || n > 10 {
		t.Fatalf("%d lines logged for 1000 repeated errors and one other, want 2 to 10", n)
	}
	if last := h.records[len(h.records)-1].Message; last != "another error: 1" {
		t.Fatalf("last line %q, want the other error", last)
	}
}
