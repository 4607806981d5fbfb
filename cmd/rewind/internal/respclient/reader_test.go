package respclient

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var replyCases = []struct {
	name, in, want string
	isErr          bool
}{
	{"simple", "+OK\r\n", `"OK"`, false},
	{"error", "-ERR wrong type\r\n", "ERR(ERR wrong type)", true},
	{"integer", ":-42\r\n", "-42", false},
	{"bulk", "$5\r\nhello\r\n", `"hello"`, false},
	{"bulk binary", "$4\r\na\r\nb\r\n", `"a\r\nb"`, false},
	{"empty bulk", "$0\r\n\r\n", `""`, false},
	{"null bulk", "$-1\r\n", "nil", false},
	{"null array", "*-1\r\n", "nil", false},
	{"empty array", "*0\r\n", "*[]", false},
	{"nested array", "*2\r\n*2\r\n$2\r\nid\r\n:1\r\n$1\r\nx\r\n", `*[*["id" 1] "x"]`, false},
	{"xrange entry", "*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n", `*[*["1-1" *["message" "hi"]]]`, false},
	{"error inside array", "*2\r\n:1\r\n-ERR no\r\n", "*[1 ERR(ERR no)]", true},
	{"resp3 push", ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nabc\r\n", `>["message" "ch" "abc"]`, false},
	{"resp3 map", "%1\r\n$1\r\nk\r\n*0\r\n", `%["k" *[]]`, false},
	{"resp3 empty map", "%0\r\n", `%[]`, false},
	{"resp3 set", "~2\r\n:1\r\n:2\r\n", "~[1 2]", false},
	{"resp3 null", "_\r\n", "nil", false},
	{"resp3 double", ",3.14\r\n", `"3.14"`, false},
	{"resp3 true", "#t\r\n", "1", false},
	{"resp3 false", "#f\r\n", "0", false},
	{"resp3 big number", "(123456789012345678901234567890\r\n", `"123456789012345678901234567890"`, false},
	{"resp3 verbatim", "=8\r\ntxt:abcd\r\n", `"txt:abcd"`, false},
	{"resp3 blob error", "!7\r\nERR bad\r\n", "ERR(ERR bad)", true},
	{"resp3 attribute", "|1\r\n$3\r\nttl\r\n:5\r\n+OK\r\n", `"OK"`, false},
	{"attribute inside array", "*2\r\n:1\r\n|1\r\n+a\r\n*1\r\n:2\r\n:3\r\n", "*[1 3]", false},
}

// readers split a stream in every way the tests want to survive.
var readers = map[string]func(io.Reader) io.Reader{
	"whole":    func(r io.Reader) io.Reader { return r },
	"one byte": iotest.OneByteReader,
	"half":     iotest.HalfReader,
}

func TestRead(t *testing.T) {
	for _, tc := range replyCases {
		for name, wrap := range readers {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				rd := NewReader(wrap(strings.NewReader(tc.in+"+NEXT\r\n")), 4, 1<<20)
				reply, err := rd.Read()
				if err != nil {
					t.Fatalf("Read(%q): %v", tc.in, err)
				}
				if got := reply.String(); got != tc.want {
					t.Errorf("Read(%q) = %s, want %s", tc.in, got, tc.want)
				}
				if reply.End(0) != reply.Len() {
					t.Errorf("root end = %d, want %d", reply.End(0), reply.Len())
				}
				if isErr := reply.FirstErr() != nil; isErr != tc.isErr {
					t.Errorf("FirstErr() = %v, want an error: %v", reply.FirstErr(), tc.isErr)
				}
				expectNext(t, rd)
			})
		}
	}
}

func TestDiscard(t *testing.T) {
	for _, tc := range replyCases {
		rd := NewReader(strings.NewReader(tc.in+"+NEXT\r\n"), 16, 1<<20)
		err := rd.Discard()
		var re *ReplyError
		if tc.isErr != errors.As(err, &re) || (!tc.isErr && err != nil) {
			t.Fatalf("Discard(%q) = %v, want a reply error: %v", tc.in, err, tc.isErr)
		}
		expectNext(t, rd)
	}
}

// expectNext checks that exactly one reply was consumed.
func expectNext(t *testing.T, rd *Reader) {
	t.Helper()
	reply, err := rd.Read()
	if err != nil || reply.Text(0) != "NEXT" {
		t.Errorf("after the reply: got %v, %v; want the next reply", reply, err)
	}
}

func TestReadMalformed(t *testing.T) {
	for _, in := range []string{
		"?x\r\n", "+OK\n", "\r\n", ":12a\r\n", ":\r\n", "$abc\r\n", "*x\r\n", ":99999999999999999999\r\n",
		"$-\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "%-1\r\n", "=-1\r\n", "=2\r\nab\r\n", "#x\r\n", "_x\r\n",
		"$2000000\r\n", strings.Repeat("*1\r\n", maxDepth+1) + ":1\r\n",
	} {
		rd := NewReader(strings.NewReader(in+"+NEXT\r\n"), 16, 1<<20)
		_, err := rd.Read()
		if !errors.Is(err, ErrProtocol) {
			t.Errorf("Read(%.40q) = %v, want a protocol error", in, err)
		}
		if _, again := rd.Read(); again != err {
			t.Errorf("Read after %v = %v, want the same error", err, again)
		}
	}
}

func TestReadEOFAndLimit(t *testing.T) {
	for _, in := range []string{"", "$5\r\nab", "*2\r\n:1\r\n"} {
		rd := NewReader(strings.NewReader(in), 16, 1<<20)
		if _, err := rd.Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Read(%q) = %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
	part := "$30\r\n" + strings.Repeat("x", 30) + "\r\n"
	rd := NewReader(strings.NewReader("*3\r\n"+part+part+part), 16, 64)
	if _, err := rd.Read(); err == nil || err.Error() != "reply larger than 64 bytes" {
		t.Errorf("Read of a reply over the limit = %v", err)
	}
}

// TestReadLargeReplyInPieces reads replies much larger than the buffer,
// byte by byte, and checks that the buffer shrinks back after them.
func TestReadLargeReplyInPieces(t *testing.T) {
	big := strings.Repeat("x", 5000)
	stream := "*2\r\n$5000\r\n" + big + "\r\n+after\r\n:7\r\n"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(stream)), 16, 1<<20)
	reply, err := rd.Read()
	if err != nil || reply.Text(1) != big || reply.Text(2) != "after" || reply.Size() != len(stream)-4 {
		t.Fatalf("large reply: %v, %.40v", err, reply)
	}
	rd.Release()
	rd.Shrink()
	if reply, err := rd.Read(); err != nil || reply.Int(0) != 7 {
		t.Fatalf("after the large reply: %v, %v", reply, err)
	}
	rd.Release()
	rd.Shrink()
	if len(rd.buf) != 16 {
		t.Errorf("buffer of %d bytes after Shrink, want 16", len(rd.buf))
	}
}

func TestChildrenAndCopy(t *testing.T) {
	rd := NewReader(strings.NewReader("*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$7\r\nmessage\r\n$2\r\nhi\r\n+NEXT\r\n"), 64, 1<<20)
	reply, err := rd.Read()
	if err != nil {
		t.Fatal(err)
	}
	if id := reply.Text(reply.Child(0, 0)); id != "1-1" {
		t.Errorf("child 0 = %q", id)
	}
	if reply.Child(0, 2) != -1 || reply.Child(-1, 0) != -1 {
		t.Errorf("Child out of range = %d, %d, want -1", reply.Child(0, 2), reply.Child(-1, 0))
	}
	fields := reply.Children(reply.Child(0, 1), nil)
	if len(fields) != 4 || reply.Text(fields[3]) != "hi" {
		t.Errorf("Children = %v", fields)
	}
	var kept Reply
	kept.CopyFrom(reply)
	want := reply.String()
	expectNext(t, rd)
	if kept.String() != want {
		t.Errorf("copy after the next read = %s, want %s", kept.String(), want)
	}
}

func TestBuffered(t *testing.T) {
	rd := NewReader(strings.NewReader("+a\r\n+b\r\n"), 64, 1<<20)
	if _, err := rd.Read(); err != nil || !rd.Buffered() {
		t.Fatalf("after the first of two replies: Buffered() = %v, err %v", rd.Buffered(), err)
	}
	if _, err := rd.Read(); err != nil || rd.Buffered() {
		t.Fatalf("after the last reply: Buffered() = %v, err %v", rd.Buffered(), err)
	}
}

// TestReadResumesAfterTimeout: a read deadline in the middle of a reply
// leaves the part read, and the next Read completes the same reply.
func TestReadResumesAfterTimeout(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := NewConn(client, "pipe", Options{ReadBufferBytes: 16})
	go func() { _, _ = server.Write([]byte("*2\r\n$3\r\nabc\r\n")) }()
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var timeout net.Error
	if _, err := c.Read(); !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Fatalf("Read of half a reply = %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	go func() { _, _ = server.Write([]byte(":5\r\n")) }()
	if reply, err := c.Read(); err != nil || reply.String() != `*["abc" 5]` {
		t.Fatalf("resumed Read = %v, %v", reply, err)
	}
}

func TestConnWritesAndDo(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	c := NewConn(client, "pipe", Options{FlushBytes: 1 << 10})
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 256)
		var all []byte
		for !bytes.HasSuffix(all, []byte("PING\r\n")) {
			n, err := server.Read(buf)
			if err != nil {
				break
			}
			all = append(all, buf[:n]...)
		}
		got <- string(all)
		_, _ = server.Write([]byte("-ERR no\r\n"))
	}()
	c.WriteArrayHeader(2)
	c.WriteBulkString("GET")
	c.WriteBulk([]byte("k"))
	c.WriteCommand("SET", "k", "")
	c.ResetWrites()
	c.WriteCommand("ECHO", "")
	reply, err := c.Do("PING")
	var re *ReplyError
	if !errors.As(err, &re) || re.Message != "ERR no" || reply.Kind(0) != '-' {
		t.Errorf("Do = %v, %v; want the error reply", reply, err)
	}
	if want := "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n"; <-got != want {
		t.Errorf("sent something else than %q", want)
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendBulk(AppendCommand(nil, "XADD", "ch", "*"), []byte("p")))
	if want := "*3\r\n$4\r\nXADD\r\n$2\r\nch\r\n$1\r\n*\r\n$1\r\np\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// loopReader returns the same bytes forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// pipelinedBatch is the replies to a pipelined batch the bench sends: 32
// XADD IDs, 32 PUBLISH counts and an XRANGE page.
func pipelinedBatch() []byte {
	var b []byte
	for i := 0; i < 32; i++ {
		b = append(b, "$15\r\n1700000000000-0\r\n:3\r\n"...)
	}
	b = append(b, "*2\r\n*2\r\n$15\r\n1700000000000-0\r\n*2\r\n$7\r\nmessage\r\n$5\r\nhello\r\n"...)
	return append(b, "*2\r\n$15\r\n1700000000000-1\r\n*2\r\n$7\r\nmessage\r\n$5\r\nworld\r\n"...)
}

// TestReadBatchAllocs: once warm, reading a pipelined batch of
// replies allocates nothing.
func TestReadBatchAllocs(t *testing.T) {
	rd := NewReader(&loopReader{data: pipelinedBatch()}, 4096, 1<<20)
	batch := func() {
		for i := 0; i < 65; i++ {
			if err := rd.Discard(); err != nil {
				t.Fatal(err)
			}
		}
	}
	batch()
	if n := testing.AllocsPerRun(1000, batch); n != 0 {
		t.Errorf("a batch of 65 replies allocates %v times", n)
	}
}

// BenchmarkReadPipelinedBatch measures parsing; ns/op is per batch of 65
// replies.
func BenchmarkReadPipelinedBatch(b *testing.B) {
	data := pipelinedBatch()
	rd := NewReader(&loopReader{data: data}, 64<<10, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < 65; i++ {
			if _, err := rd.Read(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestReadWith reads a reply with a parser of the caller's: one that needs
// the whole reply, fed byte by byte, then an error reply that leaves the
// reader usable, then garbage that breaks it.
func TestReadWith(t *testing.T) {
	stream := "+hello\r\n-ERR no\r\n+next\r\n?\r\n"
	rd := NewReader(iotest.OneByteReader(strings.NewReader(stream)), 4, 1<<20)
	line := func(b []byte) (int, error) {
		i := bytes.Index(b, []byte("\r\n"))
		switch {
		case i < 0:
			return 0, nil
		case b[0] == '-':
			return i + 2, &ReplyError{Message: string(b[1:i])}
		case b[0] != '+':
			return 0, ErrProtocol
		}
		return i + 2, nil
	}
	if data, err := rd.ReadWith(line); err != nil || string(data) != "+hello\r\n" {
		t.Fatalf("ReadWith = %q, %v", data, err)
	}
	var re *ReplyError
	if _, err := rd.ReadWith(line); !errors.As(err, &re) || re.Message != "ERR no" {
		t.Fatalf("ReadWith of an error reply = %v", err)
	}
	if reply, err := rd.Read(); err != nil || reply.Text(0) != "next" {
		t.Fatalf("Read after ReadWith = %v, %v", reply, err)
	}
	if _, err := rd.ReadWith(line); !errors.Is(err, ErrProtocol) {
		t.Fatalf("ReadWith of garbage = %v", err)
	}
	if _, err := rd.Read(); !errors.Is(err, ErrProtocol) {
		t.Fatalf("Read after garbage = %v, want the same protocol error", err)
	}
}
