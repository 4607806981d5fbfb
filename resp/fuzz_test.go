package resp

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

var fuzzLimits = parseLimits{maxBulk: 1 << 20, maxArgs: 1 << 10}

// fuzzArgs cuts data into up to 1+n%8 arguments (possibly empty, binary).
func fuzzArgs(data []byte, n uint8) [][]byte {
	count := 1 + int(n%8)
	args := make([][]byte, 0, count)
	for i := 0; i < count; i++ {
		lo, hi := len(data)*i/count, len(data)*(i+1)/count
		args = append(args, data[lo:hi])
	}
	return args
}

func encodeArgs(args [][]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n", len(a))
		b.Write(a)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func sameArgs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// FuzzParseCommand checks parseCommand on arbitrary bytes: it never panics
// and never claims more bytes than it got; a complete command parses the
// same on its own and is incomplete when cut short; valid encodings of
// arbitrary arguments parse back to exactly those arguments, one after the
// other when concatenated; inline lines split exactly as Redis splits them
// (splitArgs, a port of sdssplitargs, is the reference).
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "PING\r\n", "PING\n", "*1\r\n$4\r\nPING\r\n", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "*0\r\n", "*-1\r\n",
		"*x\r\n", "*1\r\n$x\r\n", "*1\r\n+PING\r\n", "*1\r\n$4\r\nPINGxx", "*01\r\n", "*1\r\n$-1\r\n",
		"ECHO \"a\\x41\\n\" 'it\\'s'\r\n", "ECHO \"abc\r\n", "ECHO \"a\"b\n", "  \r\n\r\n", "A\x00B C\n",
		"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$5\r\nhello\r\n", "*2\r\n$4\r\nPI",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		// Arbitrary bytes.
		args, used, err := parseCommand(data, nil, fuzzLimits)
		if used < 0 || used > len(data) {
			t.Fatalf("parseCommand(%q) used %d of %d bytes", data, used, len(data))
		}
		if err != nil && used != 0 {
			t.Fatalf("parseCommand(%q) = error %v after using %d bytes", data, err, used)
		}
		if err == nil && used > 0 {
			again, used2, err2 := parseCommand(data[:used], nil, fuzzLimits)
			if err2 != nil || used2 != used || !sameArgs(args, again) {
				t.Fatalf("parseCommand(%q): the complete command alone parses as %q, %d, %v", data, again, used2, err2)
			}
			for _, k := range []int{used - 1, used / 2} {
				if k <= 0 || data[0] != '*' {
					continue
				}
				part, usedK, errK := parseCommand(data[:k], nil, fuzzLimits)
				if errK != nil || usedK != 0 || len(part) != 0 {
					t.Fatalf("parseCommand(%q) of a cut command = %q, %d, %v; want incomplete", data[:k], part, usedK, errK)
				}
			}
		}
		if err == nil && used == 0 && len(args) != 0 {
			t.Fatalf("parseCommand(%q) returned arguments without using bytes", data)
		}

		// Inline lines against the reference splitter.
		if len(data) > 0 && data[0] != '*' {
			line, _, _ := bytes.Cut(data, []byte("\n"))
			ref, refErr := splitArgs(strings.TrimSuffix(string(line), "\r"))
			got, used, err := parseCommand(append(line[:len(line):len(line)], '\n'), nil, fuzzLimits)
			switch {
			case refErr != nil && err != errUnbalancedQuotes:
				t.Fatalf("inline %q: got %q, %v; the reference says unbalanced quotes", line, got, err)
			case refErr == nil && (err != nil || used != len(line)+1 || len(got) != len(ref)):
				t.Fatalf("inline %q: got %q, %d, %v; want %q", line, got, used, err, ref)
			case refErr == nil:
				for i := range ref {
					if string(got[i]) != ref[i] {
						t.Fatalf("inline %q: got %q, want %q", line, got, ref)
					}
				}
			}
		}

		// A valid encoding of arbitrary arguments, twice in a row, then a
		// partial third.
		want := fuzzArgs(data, n)
		enc := encodeArgs(want)
		stream := append(append(append([]byte{}, enc...), enc...), enc[:len(enc)/2]...)
		for i := 0; i < 2; i++ {
			got, used, err := parseCommand(stream, nil, fuzzLimits)
			if err != nil || used != len(enc) || !sameArgs(got, want) {
				t.Fatalf("command %d of %q: got %q, %d, %v; want %q, %d", i, stream, got, used, err, want, len(enc))
			}
			stream = stream[used:]
		}
		if got, used, err := parseCommand(stream, nil, fuzzLimits); err != nil || used != 0 || len(got) != 0 {
			t.Fatalf("half a command %q: got %q, %d, %v", stream, got, used, err)
		}
	})
}

// FuzzServerRaw sends arbitrary bytes to a live server and checks that it
// neither crashes nor stops serving others: after each input, a client on
// another connection must get PONG.
func FuzzServerRaw(f *testing.F) {
	for _, s := range []string{
		"PING\r\n", "*1\r\n$4\r\nPING\r\n", "SUBSCRIBE a\r\nPING\r\nPUBLISH a x\r\n", "HELLO 3\r\nSUBSCRIBE a\r\nXLEN a\r\n",
		"MULTI\r\nXADD s 1-1 f v\r\nEXEC\r\n", "XADD s * f v\r\nXRANGE s - +\r\nXREAD BLOCK 0 STREAMS s $\r\n",
		"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n*x\r\n", "ECHO \"unbalanced\r\n", "WATCH s\r\nMULTI\r\nPUBLISH s x\r\nEXEC\r\n",
		"XADD s MAXLEN ~ 0 2-* f v\r\nXTRIM s MINID 0\r\nXDEL s 1-1\r\nXSETID s 9-9\r\n", "PSUBSCRIBE *\r\nPUNSUBSCRIBE\r\nQUIT\r\n",
	} {
		f.Add([]byte(s))
	}
	addr, _ := startServer(f)
	var witness net.Conn // reused across inputs; redialled when lost
	f.Cleanup(func() {
		if witness != nil {
			_ = witness.Close()
		}
	})
	ping := func() error {
		if witness == nil {
			nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return err
			}
			witness = nc
		}
		_ = witness.SetDeadline(time.Now().Add(5 * time.Second))
		reply := make([]byte, 7)
		if _, err := io.WriteString(witness, "PING\r\n"); err != nil {
			return err
		}
		if _, err := io.ReadFull(witness, reply); err != nil || string(reply) != "+PONG\r\n" {
			return fmt.Errorf("PING: %q, %v", reply, err)
		}
		return nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = nc.Write(data)
		_ = nc.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, nc) // until the server closes, or the deadline
		_ = nc.Close()

		// The server still serves others. (A fuzzed CLIENT KILL may have
		// closed the witness: then a new connection must do.)
		if err := ping(); err != nil {
			_ = witness.Close()
			witness = nil
			if err := ping(); err != nil {
				t.Fatalf("after %q the server does not answer PING: %v", data, err)
			}
		}
	})
}
