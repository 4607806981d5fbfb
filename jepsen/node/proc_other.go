//go:build !linux

package node

import (
	"os/exec"
	"syscall"
)

// detach puts the server in its own process group, so that a Ctrl-C
// reaches only the harness, which then stops it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
