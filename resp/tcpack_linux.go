package resp

import (
	"net"

	"golang.org/x/sys/unix"
)

// socketAckedBytes returns how many bytes of its output the peer of a TCP
// connection has acknowledged (TCP_INFO's tcpi_bytes_acked, counted from
// the connection's start; kept after a reset).
func socketAckedBytes(nc net.Conn) (uint64, bool) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return 0, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var acked uint64
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		var info *unix.TCPInfo
		if info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); ierr == nil {
			acked = info.Bytes_acked
		}
	}); err != nil || ierr != nil {
		return 0, false
	}
	return acked, true
}
