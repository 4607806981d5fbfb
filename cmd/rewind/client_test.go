package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/cmd/rewind/internal/respclient"
)

// encodeEntries encodes entries (ID, then fields) as an XRANGE reply.
func encodeEntries(entries [][]string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(entries))
	for _, e := range entries {
		fmt.Fprintf(&b, "*2\r\n$%d\r\n%s\r\n*%d\r\n", len(e[0]), e[0], len(e)-1)
		for _, f := range e[1:] {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(f), f)
		}
	}
	return b.Bytes()
}

// newReader reads replies from r with a buffer of size bytes, like the
// CLI's connections.
func newReader(r io.Reader, size int) *respclient.Reader {
	return respclient.NewReader(r, size, maxReplyBytes)
}

// pageEntries returns the entries of the page read last, as strings.
func pageEntries(pg *page) [][]string {
	var out [][]string
	for i := 0; i < pg.n; i++ {
		id, fields := pg.entry(i)
		e := []string{string(id)}
		for _, f := range fields {
			e = append(e, string(f))
		}
		out = append(out, e)
	}
	return out
}

func TestReadPage(t *testing.T) {
	big := strings.Repeat("x", 3*initialReadBytes) // forces the buffer to grow
	pages := [][][]string{
		{{"1-1", "message", "hello"}, {"1-2", "a", "1", "b", ""}},
		{},
		{{"2-0", "message", big}, {"3-0", "message", "after big"}},
		{{"4-0", "message", "crlf\r\ninside"}},
	}
	var stream []byte
	for _, p := range pages {
		stream = append(stream, encodeEntries(p)...)
	}
	stream = append(stream, "*1\r\n*2\r\n$6\r\n1-0000\r\n*-1\r\n"...) // an entry without fields
	stream = append(stream, "-ERR boom\r\n"...)
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			rr := newReader(wrap(bytes.NewReader(stream)), 64)
			var pg page
			for i, want := range pages {
				if err := readPage(rr, &pg, false); err != nil {
					t.Fatalf("page %d: %v", i, err)
				}
				got := pageEntries(&pg)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("page %d: got %.200q, want %.200q", i, got, want)
				}
			}
			if err := readPage(rr, &pg, false); err != nil || pg.n != 1 || len(pageEntries(&pg)[0]) != 1 {
				t.Fatalf("entry without fields: %v, %v", err, pageEntries(&pg))
			}
			var re *respclient.ReplyError
			if err := readPage(rr, &pg, false); !errors.As(err, &re) || re.Message != "ERR boom" {
				t.Fatalf("error reply: %v", err)
			}
			if err := readPage(rr, &pg, false); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("at EOF: %v", err)
			}
		})
	}
}

func TestReadPageXRead(t *testing.T) {
	entries := encodeEntries([][]string{{"5-0", "message", "m"}})
	stream := "*-1\r\n" + "*1\r\n*2\r\n$2\r\nch\r\n" + string(entries)
	rr := newReader(iotest.OneByteReader(strings.NewReader(stream)), 16)
	var pg page
	if err := readPage(rr, &pg, true); err != nil || pg.n != 0 {
		t.Fatalf("timed-out XREAD: n=%d err=%v", pg.n, err)
	}
	if err := readPage(rr, &pg, true); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(pageEntries(&pg)); got != "[[5-0 message m]]" {
		t.Fatalf("XREAD page: %s", got)
	}
}

// TestReadPageMalformed: replies of the wrong shape are protocol errors,
// and an error reply in place of the entries is returned as such.
func TestReadPageMalformed(t *testing.T) {
	for _, tc := range []struct {
		in    string
		xread bool
	}{
		{":1\r\n", false},
		{"*-1\r\n", false},
		{"*1\r\n*3\r\n$1\r\na\r\n*0\r\n*0\r\n", false},
		{"*1\r\n*2\r\n$-1\r\n*0\r\n", false},
		{"*1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", false},
		{"*1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n", false},
		{"*2\r\n*0\r\n*0\r\n", true},
		{"*1\r\n*1\r\n$2\r\nch\r\n", true},
		{"*1\r\n*2\r\n$-1\r\n*0\r\n", true},
		{"*1\r\n*2\r\n$2\r\nch\r\n*-1\r\n", true},
	} {
		var pg page
		if err := readPage(newReader(strings.NewReader(tc.in), 16), &pg, tc.xread); !errors.Is(err, errProtocol) {
			t.Errorf("readPage(%q, xread %v) = %v, want a protocol error", tc.in, tc.xread, err)
		}
	}
	var pg page
	var re *respclient.ReplyError
	if err := readPage(newReader(strings.NewReader("*1\r\n-ERR inside\r\n"), 16), &pg, false); !errors.As(err, &re) || re.Message != "ERR inside" {
		t.Errorf("readPage of an error in place of an entry = %v", err)
	}
}

// FuzzReadPage feeds arbitrary bytes to the page parser: it must return an
// error or a page whose entries lie inside the buffer, never panic or hang.
func FuzzReadPage(f *testing.F) {
	f.Add(encodeEntries([][]string{{"1-1", "message", "hello"}, {"1-2", "a", "1"}}), false)
	f.Add([]byte("*1\r\n*2\r\n$2\r\nch\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*0\r\n"), true)
	f.Add([]byte("*-1\r\n"), true)
	f.Add([]byte("*1\r\n*2\r\n$-1\r\n*-1\r\n"), false)
	f.Add([]byte("*1\r\n*2\r\n$99999999999\r\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, xread bool) {
		rr := newReader(bytes.NewReader(data), 16)
		var pg page
		for i := 0; i < 4; i++ {
			if err := readPage(rr, &pg, xread); err != nil {
				return
			}
			if pg.size > len(data) {
				t.Fatalf("page of %d bytes in %d", pg.size, len(data))
			}
			for k := 0; k < pg.n; k++ {
				pg.id(k)
				pg.entry(k)
			}
		}
	})
}

func TestAppendEntryJSON(t *testing.T) {
	channel := appendJSONKeyValue(nil, ",", "channel", []byte("orders"))
	for _, fields := range [][]string{
		{"message", "plain"},
		{"a", "1", "a", "2"},
		{"ctl", "\x00\x01\x1f\"\\\n\r\t/<>&\u2028é日本"},
		{"bin", "\xff\xfe", "ok", "yes"},
		{"\xc3", "bad name", "ok", "\x80"},
		{},
	} {
		var raw [][]byte
		for _, f := range fields {
			raw = append(raw, []byte(f))
		}
		line := appendEntryJSON(nil, []byte("7-1"), channel, raw)
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one JSON line: %q", line)
		}
		var got struct {
			ID, Channel string
			Fields      map[string]string
			FieldsB64   map[string]string `json:"fields_b64"`
			PairsB64    []string          `json:"pairs_b64"`
		}
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if got.ID != "7-1" || got.Channel != "orders" {
			t.Errorf("%q: id %q channel %q", line, got.ID, got.Channel)
		}
		// Decode every field back and compare with the input (the last
		// value of a repeated name wins in a map).
		want := map[string]string{}
		for i := 0; i+1 < len(fields); i += 2 {
			want[fields[i]] = fields[i+1]
		}
		decoded := map[string]string{}
		for k, v := range got.Fields {
			decoded[k] = v
		}
		for k, v := range got.FieldsB64 {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			decoded[k] = string(b)
		}
		for i := 0; i+1 < len(got.PairsB64); i += 2 {
			k, _ := base64.StdEncoding.DecodeString(got.PairsB64[i])
			v, _ := base64.StdEncoding.DecodeString(got.PairsB64[i+1])
			decoded[string(k)] = string(v)
		}
		if fmt.Sprint(decoded) != fmt.Sprint(want) {
			t.Errorf("%q decodes to %q, want %q", line, decoded, want)
		}
	}
}

func TestAppendEntryText(t *testing.T) {
	for _, tc := range []struct {
		fields []string
		want   string
	}{
		{[]string{"message", "hi there"}, "1-0\thi there\n"},
		{[]string{"a", "1", "b", "2"}, "1-0\ta=1 b=2\n"},
		{[]string{"message", "x", "other", "y"}, "1-0\tmessage=x other=y\n"},
		{nil, "1-0\t\n"},
	} {
		var raw [][]byte
		for _, f := range tc.fields {
			raw = append(raw, []byte(f))
		}
		if got := string(appendEntryText(nil, []byte("1-0"), raw)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.fields, got, tc.want)
		}
	}
}

// TestFormatterLargeEntry writes entries larger than the output buffer.
func TestFormatterLargeEntry(t *testing.T) {
	var out bytes.Buffer
	w := bufio.NewWriterSize(&out, 64)
	for _, json := range []bool{false, true} {
		out.Reset()
		f := newFormatter(w, json, []byte("c"))
		big := strings.Repeat("é", 100)
		for i := 0; i < 3; i++ {
			if err := f.entry([]byte("1-0"), [][]byte{[]byte("message"), []byte(big)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out.String(), big); n != 3 {
			t.Errorf("json=%v: %d copies of the big payload in %q", json, n, out.String())
		}
	}
}

// TestReplayHotPathAllocs checks that reading and writing a page allocates
// nothing once buffers are warm.
func TestReplayHotPathAllocs(t *testing.T) {
	stream := replayStream(1000, 5)
	for _, json := range []bool{false, true} {
		src := bytes.NewReader(stream)
		rr := newReader(src, initialReadBytes)
		w := bufio.NewWriterSize(io.Discard, replayWriteBytes)
		f := newFormatter(w, json, []byte("bench"))
		var pg page
		allocs := testing.AllocsPerRun(4, func() {
			if err := readPage(rr, &pg, false); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < pg.n; i++ {
				id, fields := pg.entry(i)
				if err := f.entry(id, fields); err != nil {
					t.Fatal(err)
				}
			}
			rr.Release()
		})
		if allocs != 0 {
			t.Errorf("json=%v: %v allocations per 1000-entry page", json, allocs)
		}
	}
}

// replayStream is pages XRANGE replies of n entries with 100-byte payloads.
func replayStream(n, pages int) []byte {
	payload := strings.Repeat("p", 100)
	var page [][]string
	for i := 0; i < n; i++ {
		page = append(page, []string{fmt.Sprintf("1795408105029-%d", i), "message", payload})
	}
	one := encodeEntries(page)
	return bytes.Repeat(one, pages)
}

// BenchmarkReplayPage measures the client's side of a replay: parsing
// XRANGE pages and writing text lines. ns/op is per entry.
func BenchmarkReplayPage(b *testing.B) {
	for _, format := range []string{"text", "json"} {
		b.Run(format, func(b *testing.B) {
			const perPage = 1000
			stream := replayStream(perPage, 1)
			src := bytes.NewReader(stream)
			rr := newReader(src, initialReadBytes)
			f := newFormatter(bufio.NewWriterSize(io.Discard, replayWriteBytes), format == "json", []byte("bench"))
			var pg page
			b.SetBytes(int64(len(stream) / perPage))
			b.ReportAllocs()
			for done := 0; done < b.N; done += perPage {
				src.Reset(stream)
				if err := readPage(rr, &pg, false); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < pg.n; i++ {
					id, fields := pg.entry(i)
					if err := f.entry(id, fields); err != nil {
						b.Fatal(err)
					}
				}
				rr.Release()
			}
		})
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want int64 // ms
		err  bool
	}{
		{"2h", now.Add(-2 * time.Hour).UnixMilli(), false},
		{"90s", now.Add(-90 * time.Second).UnixMilli(), false},
		{"7d", now.Add(-7 * 24 * time.Hour).UnixMilli(), false},
		{"2024-04-30T10:00:00.5Z", time.Date(2024, 4, 30, 10, 0, 0, 5e8, time.UTC).UnixMilli(), false},
		{"2024-04-30T10:00:00+02:00", time.Date(2024, 4, 30, 8, 0, 0, 0, time.UTC).UnixMilli(), false},
		{"-1h", 0, true},
		{"soon", 0, true},
		{"1.5d", 0, true},
	} {
		got, err := parseSince(tc.in, now)
		if (err != nil) != tc.err || (!tc.err && got != (broker.ID{Ms: uint64(tc.want)})) {
			t.Errorf("parseSince(%q) = %v, %v; want %d-0 (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
