package node

import (
	"os/exec"
	"syscall"
)

// detach puts the server in its own process group (a Ctrl-C reaches only
// the harness, which then stops it) and kills it if the harness dies.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
