//go:build !linux

package bench

import (
	"errors"
	"syscall"
	"time"
)

// childProcAttr: process-group and parent-death handling are Linux-only here.
func childProcAttr() *syscall.SysProcAttr { return nil }

func raiseNoFileLimit() (uint64, error) { return 0, errors.ErrUnsupported }

func lockPacerThread() (unlock func()) { return func() {} }

func preciseSleep(d time.Duration) { time.Sleep(d) }

func onTmpfs(string) bool { return false }
