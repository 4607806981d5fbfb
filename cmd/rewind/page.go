package main

import (
	"fmt"

	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// page is one reply of stream entries (XRANGE, XREVRANGE, or XREAD on one
// stream) as read by readPage: an index of its entries in the reply, whose
// strings alias the reader's buffer until the next read. Its slices are
// reused from page to page, so reading a page allocates nothing once warm.
type page struct {
	reply   *respclient.Reply
	n       int   // entries
	size    int   // bytes of the reply
	entries []int // per entry: its value in reply
	views   [][]byte
}

// An entry at value e (checked by checkEntry) is laid out flat: its ID at
// e+1, its fields array at e+2, and the fields, all strings, after it.

// id returns entry i's ID.
func (pg *page) id(i int) []byte {
	return pg.reply.Bytes(pg.entries[i] + 1)
}

// entry returns entry i's ID and fields (names and values). The fields
// slice is reused by the next call.
func (pg *page) entry(i int) (id []byte, fields [][]byte) {
	rp, e := pg.reply, pg.entries[i]
	pg.views = pg.views[:0]
	for f, end := e+3, rp.End(e); f < end; f++ {
		pg.views = append(pg.views, rp.Bytes(f))
	}
	return rp.Bytes(e + 1), pg.views
}

// keep makes the page independent of the reader, copying its reply into
// dst, so that other replies can be read while it is used.
func (pg *page) keep(dst *respclient.Reply) {
	dst.CopyFrom(pg.reply)
	pg.reply = dst
}

// readPage reads one whole entries reply into pg. With xread the reply is
// XREAD's (a null array, when it timed out, is a page of no entries). An
// error reply is returned as a *respclient.ReplyError; the connection stays
// usable.
func readPage(rd *respclient.Reader, pg *page, xread bool) error {
	pg.n, pg.size, pg.entries = 0, 0, pg.entries[:0]
	rp, err := rd.Read()
	if err != nil {
		return err
	}
	pg.reply, pg.size = rp, rp.Size()
	if err := rp.Err(0); err != nil {
		return err
	}
	list := 0
	if xread {
		if list, err = xreadEntries(rp); list < 0 || err != nil {
			return err
		}
	}
	if err := expectKind(rp, list, '*'); err != nil {
		return err
	}
	if rp.IsNull(list) {
		return fmt.Errorf("%w: null entries array", errProtocol)
	}
	pg.entries = rp.Children(list, pg.entries)
	for _, e := range pg.entries {
		if err := checkEntry(rp, e); err != nil {
			pg.entries = pg.entries[:0]
			return err
		}
	}
	pg.n = len(pg.entries)
	return nil
}

// xreadEntries finds the entries array of an XREAD reply on one stream,
// [[name, entries]]: its index, or -1 for the null reply of a timeout.
func xreadEntries(rp *respclient.Reply) (int, error) {
	if err := expectKind(rp, 0, '*'); err != nil {
		return -1, err
	}
	if rp.IsNull(0) {
		return -1, nil
	}
	if n := rp.Int(0); n != 1 {
		return -1, fmt.Errorf("%w: XREAD replied with %d streams", errProtocol, n)
	}
	if err := expectKind(rp, 1, '*'); err != nil {
		return -1, err
	}
	if n := rp.Int(1); n != 2 || rp.IsNull(1) {
		return -1, fmt.Errorf("%w: XREAD stream reply of %d elements", errProtocol, n)
	}
	if err := expectKind(rp, 2, '$'); err != nil {
		return -1, err
	}
	if rp.IsNull(2) {
		return -1, fmt.Errorf("%w: XREAD stream without a name", errProtocol)
	}
	return 3, nil
}

// checkEntry checks that the value at e is an entry: [id, [name, value,
// ...]], where a null fields array is an entry without fields and a null
// field reads as empty.
func checkEntry(rp *respclient.Reply, e int) error {
	if err := expectKind(rp, e, '*'); err != nil {
		return err
	}
	if n := rp.Int(e); n != 2 || rp.IsNull(e) {
		return fmt.Errorf("%w: stream entry of %d elements", errProtocol, n)
	}
	if err := expectKind(rp, e+1, '$'); err != nil {
		return err
	}
	if rp.IsNull(e + 1) {
		return fmt.Errorf("%w: null entry ID", errProtocol)
	}
	fields := e + 2
	if err := expectKind(rp, fields, '*'); err != nil {
		return err
	}
	for f := fields + 1; f < rp.End(fields); f++ {
		if err := expectKind(rp, f, '$'); err != nil {
			return err
		}
	}
	return nil
}

// expectKind checks the type of value i; an error reply in its place is
// returned as such.
func expectKind(rp *respclient.Reply, i int, kind byte) error {
	switch got := rp.Kind(i); {
	case got == kind:
		return nil
	case got == '-':
		return rp.Err(i)
	default:
		return fmt.Errorf("%w: expected %q, got %q", errProtocol, kind, got)
	}
}
