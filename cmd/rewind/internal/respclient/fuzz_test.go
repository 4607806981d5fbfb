package respclient

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzRead feeds arbitrary bytes to the reply parser, whole and byte by
// byte: it must never panic or hang, must fail with a protocol error, the
// end of the input or the size limit, and must parse the same replies
// however the bytes arrive. Seeds are in testdata/fuzz/FuzzRead.
func FuzzRead(f *testing.F) {
	for _, tc := range replyCases {
		f.Add([]byte(tc.in))
	}
	f.Add(pipelinedBatch())
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := readAll(t, bytes.NewReader(data))
		pieces := readAll(t, iotest.OneByteReader(bytes.NewReader(data)))
		if whole != pieces {
			t.Fatalf("whole input gave %q, byte by byte %q", whole, pieces)
		}
	})
}

// readAll renders every reply in r and the error that ended them.
func readAll(t *testing.T, r io.Reader) string {
	rd := NewReader(r, 8, 1<<16)
	var out []byte
	for {
		reply, err := rd.Read()
		if err != nil {
			if !errors.Is(err, ErrProtocol) && !errors.Is(err, io.ErrUnexpectedEOF) && err.Error() != "reply larger than 64 KiB" {
				t.Fatalf("unexpected error %v", err)
			}
			return string(out) + "|" + err.Error()
		}
		checkReply(t, reply)
		out = append(out, reply.String()...)
		out = append(out, '\n')
	}
}

// checkReply checks a reply's structure: every subtree inside its parent,
// every string inside the reply's bytes.
func checkReply(t *testing.T, reply *Reply) {
	if reply.Len() == 0 || reply.End(0) != reply.Len() {
		t.Fatalf("reply of %d values with root end %d", reply.Len(), reply.End(0))
	}
	for i := 0; i < reply.Len(); i++ {
		if end := reply.End(i); end <= i || end > reply.Len() {
			t.Fatalf("value %d ends at %d of %d", i, end, reply.Len())
		}
		if v := reply.values[i]; int(v.offset)+int(v.length) > reply.Size() {
			t.Fatalf("value %d at %d+%d in %d bytes", i, v.offset, v.length, reply.Size())
		}
	}
}
