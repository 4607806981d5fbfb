package bench

import (
	"runtime"
	"syscall"
	"time"
)

// childProcAttr puts a server in its own process group (so a terminal's Ctrl-C
// reaches only the harness, which then stops it cleanly) and has the kernel
// kill it if the harness dies without cleaning up.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// raiseNoFileLimit lifts the soft RLIMIT_NOFILE to the hard limit and returns it.
func raiseNoFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	return lim.Cur, nil
}

const prSetTimerSlack = 29 // PR_SET_TIMERSLACK

// lockPacerThread pins the calling goroutine to its OS thread and lowers that
// thread's timer slack, so preciseSleep wakes within tens of microseconds
// (time.Sleep rounds sub-millisecond sleeps up to about 1 ms). The returned
// function restores the default slack and unlocks the thread; it must be called
// (the thread must not exit: it may be the parent of a server started with Pdeathsig).
func lockPacerThread() (unlock func()) {
	runtime.LockOSThread()
	_, _, _ = syscall.Syscall(syscall.SYS_PRCTL, prSetTimerSlack, 1000, 0)
	return func() {
		_, _, _ = syscall.Syscall(syscall.SYS_PRCTL, prSetTimerSlack, 0, 0)
		runtime.UnlockOSThread()
	}
}

// preciseSleep blocks the current OS thread for d with nanosleep(2).
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

const tmpfsMagic = 0x01021994

// onTmpfs reports whether dir is on tmpfs, where fsync costs nothing.
func onTmpfs(dir string) bool {
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}
