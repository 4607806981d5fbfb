package wal

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Checks of the data directory before Pebble opens it.
//
// Pebble reports the ways a directory can be unusable badly: a directory
// another process holds fails with a bare "resource temporarily
// unavailable"; one it cannot write, or on a full disk, can make it panic
// (a failed MANIFEST write is fatal, and happens in a background flush, out
// of reach of a recover); and on a full disk the flush of the replayed WAL
// fails and is retried at once, forever, so Open never returns. So Open
// first takes the directory's lock itself, then proves it can create, write
// and sync a file there, then checks that the disk has room for what the
// open will write; each failure is a DirError saying which.

// PIDFile is the name of the file in the data directory holding the pid of
// the process that has it open for writing (removed at Close). It is read
// only to name that process when the directory's lock is held.
const PIDFile = "REWIND-PID"

// probeFile is created, synced and removed at Open to prove the directory
// is writable.
const probeFile = "REWIND-PROBE"

// openHeadroomBytes is the free space Open asks for beyond the WAL it will
// flush: a new MANIFEST, OPTIONS file and WAL, and the tables' overhead.
const openHeadroomBytes = 1 << 20

// DirError is a data directory the log cannot use. Kind is ErrDirInUse,
// ErrDirNotWritable or ErrDiskFull.
type DirError struct {
	Kind   error
	Dir    string
	Detail string // what was seen: the pid holding it, the failed call, the free space
}

func (e *DirError) Error() string {
	switch e.Kind {
	case ErrDirInUse:
		return fmt.Sprintf("data directory %s is in use by another rewind process (%s)", e.Dir, e.Detail)
	case ErrDirNotWritable:
		return fmt.Sprintf("data directory %s is not writable (%s)", e.Dir, e.Detail)
	case ErrDiskFull:
		return fmt.Sprintf("the disk of data directory %s is full (%s)", e.Dir, e.Detail)
	}
	return fmt.Sprintf("data directory %s: %v (%s)", e.Dir, e.Kind, e.Detail)
}

func (e *DirError) Unwrap() error { return e.Kind }

// lockDir takes dir's lock, saying who holds it if another process does.
func lockDir(fs vfs.FS, dir string) (*pebble.Lock, error) {
	lock, err := pebble.LockDirectory(dir, fs)
	if err == nil {
		return lock, nil
	}
	var pathErr *iofs.PathError
	switch {
	case errors.As(err, &pathErr):
		// Creating the LOCK file failed: not a lock held by anyone.
		if isNotWritable(err) {
			return nil, &DirError{Kind: ErrDirNotWritable, Dir: dir, Detail: err.Error()}
		}
		return nil, fmt.Errorf("wal: lock %s: %w", dir, err)
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EACCES):
		return nil, &DirError{Kind: ErrDirInUse, Dir: dir, Detail: holderOf(fs, dir)}
	case strings.Contains(err.Error(), "lock held by current process"):
		return nil, &DirError{Kind: ErrDirInUse, Dir: dir, Detail: "pid " + strconv.Itoa(os.Getpid()) + ", this process"}
	}
	return nil, fmt.Errorf("wal: lock %s: %w", dir, err)
}

// holderOf describes the process holding dir's lock, from its PID file.
func holderOf(fs vfs.FS, dir string) string {
	f, err := fs.Open(fs.PathJoin(dir, PIDFile))
	if err != nil {
		return "its lock is held; pid unknown"
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64))
	if pid, perr := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && perr == nil && pid > 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return "its lock is held; pid unknown"
}

// isNotWritable reports whether err says the file system refuses writes
// here: permissions, or a read-only mount.
func isNotWritable(err error) bool {
	return errors.Is(err, iofs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// classifyWriteError turns an error writing in dir into a DirError when it
// is one the operator must fix.
func classifyWriteError(dir string, err error) error {
	switch {
	case isNotWritable(err):
		return &DirError{Kind: ErrDirNotWritable, Dir: dir, Detail: err.Error()}
	case errors.Is(err, syscall.ENOSPC):
		return &DirError{Kind: ErrDiskFull, Dir: dir, Detail: err.Error()}
	}
	return fmt.Errorf("wal: write in %s: %w", dir, err)
}

// probeWritable creates, writes, syncs and removes a file in dir.
func probeWritable(fs vfs.FS, dir string) error {
	path := fs.PathJoin(dir, probeFile)
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return classifyWriteError(dir, err)
	}
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := fs.Remove(path); err == nil {
		err = rerr
	}
	if err != nil {
		return classifyWriteError(dir, err)
	}
	return nil
}

// checkFreeSpace fails with ErrDiskFull when dir's disk has less room than
// Open will write: the WAL files it flushes into tables, plus headroom.
// File systems that cannot tell (an in-memory one) pass.
func checkFreeSpace(fs vfs.FS, dir string) error {
	usage, err := fs.GetDiskUsage(dir)
	if err != nil {
		return nil // unknown: Open's own writes will tell
	}
	need := uint64(openHeadroomBytes) + walBytes(fs, dir)
	if usage.AvailBytes >= need {
		return nil
	}
	return &DirError{Kind: ErrDiskFull, Dir: dir,
		Detail: fmt.Sprintf("%s free, %s needed to open it", formatBytes(usage.AvailBytes), formatBytes(need))}
}

// walBytes is the size of dir's Pebble WAL files, which Open replays and
// flushes into tables.
func walBytes(fs vfs.FS, dir string) uint64 {
	names, err := fs.List(dir)
	if err != nil {
		return 0
	}
	var total uint64
	for _, name := range names {
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		if st, err := fs.Stat(fs.PathJoin(dir, name)); err == nil {
			total += uint64(st.Size())
		}
	}
	return total
}

// formatBytes renders n in B, KiB or MiB, for messages.
func formatBytes(n uint64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// writePIDFile records this process in dir (see PIDFile). Not synced: it is
// a hint, read only while this process holds the lock.
func writePIDFile(fs vfs.FS, dir string) error {
	f, err := fs.Create(fs.PathJoin(dir, PIDFile), vfs.WriteCategoryUnspecified)
	if err != nil {
		return classifyWriteError(dir, err)
	}
	_, err = f.Write([]byte(strconv.Itoa(os.Getpid()) + "\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return classifyWriteError(dir, err)
	}
	return nil
}

// prepareDir takes dir's lock and, unless readOnly, checks that dir can be
// written and has room, and records this process in it. The caller closes
// the lock after Pebble.
func prepareDir(fs vfs.FS, dir string, readOnly bool) (*pebble.Lock, error) {
	if readOnly {
		if _, err := fs.Stat(dir); err != nil {
			return nil, nil // Pebble says what is missing
		}
	} else if err := fs.MkdirAll(dir, 0o755); err != nil {
		return nil, classifyWriteError(dir, err)
	}
	lock, err := lockDir(fs, dir)
	if err != nil || readOnly {
		return lock, err
	}
	err = probeWritable(fs, dir)
	if err == nil {
		err = checkFreeSpace(fs, dir)
	}
	if err == nil {
		err = writePIDFile(fs, dir)
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return lock, nil
}
