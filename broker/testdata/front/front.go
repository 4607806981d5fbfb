// Package front is a fixture of TestFrontIdentifiersCatch: a front that
// names wal's types in each way the check must find (the lines marked
// "want"), and broker's types, which it allows (the others).
package front

import (
	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/wal"
)

type request = wal.Request // want: request, Request

// Kind uses a wal constant.
func Kind() uint8 { return uint8(wal.OpAppend) } // want: OpAppend

// Failed reads a field of a wal type.
func Failed(r *request) bool { return r.TimeMs != 0 } // want: request, r, TimeMs

// Request holds a wal type it never names.
func Request() int {
	r := wal.NewRequest()  // want: r, NewRequest
	return len(r.Commands) // want: r, Commands
}

// Allowed uses only broker's own types and the leaf value types it names.
func Allowed(b *broker.Broker, id broker.ID) (uint64, broker.OpKind) {
	m, _ := b.Meta(nil)
	return m.Length + id.Ms, broker.OpAppend
}
