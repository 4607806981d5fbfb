//go:build !linux

package resp

import "net"

// socketAckedBytes cannot tell here: cursors follow what the socket
// accepted.
func socketAckedBytes(net.Conn) (uint64, bool) { return 0, false }
