package delivery

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

type globCase struct {
	pattern, name string
	want          bool
}

// globCases is checked against Match, MatchString and the reference
// matcher, and (when redis-server is available) against real Redis.
var globCases = []globCase{
	// Empty pattern / empty name. Only "" matches "" (Redis quirk: "*" too
	// fails on an empty name).
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"*", "", false},
	{"**", "", false},
	{"?", "", false},
	{"[^]", "", false},

	// Literals are exact and case-sensitive.
	{"hello", "hello", true},
	{"hello", "hell", false},
	{"hello", "helloo", false},
	{"HELLO", "hello", false},
	{"news.*", "news.sport", true},

	// '*'
	{"*", "a", true},
	{"*", "anything at all", true},
	{"**", "abc", true},
	{"h*llo", "hllo", true},
	{"h*llo", "heeeello", true},
	{"h*llo", "hello world", false},
	{"*llo", "hello", true},
	{"*llo", "hell", false},
	{"a*", "a", true},
	{"a**", "a", true},
	{"a*?", "a", false},
	{"*?", "a", true},
	{"a*b*c*", "abc", true},
	{"a*b*c*", "aXbYcZ", true},
	{"a*b*c*", "acb", false},
	{"a*b*c", "abcabc", true},
	{"a*b*c", "abcab", false},
	{"*a*b*c*", "xxaxxbxxcxx", true},
	{"*a*a*b", "aab", true},
	{"*a*a*b", "abab", true},
	{"*a*a*b", "abb", false},

	// '?'
	{"h?llo", "hello", true},
	{"h?llo", "hallo", true},
	{"h?llo", "hllo", false},
	{"h?llo", "heello", false},
	{"???", "ab", false},
	{"???", "abc", true},

	// Sets.
	{"h[ae]llo", "hello", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[^e]llo", "hllo", false},
	{"h[a-b]llo", "hallo", true},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{"h[b-a]llo", "hallo", true}, // reversed range: ends are swapped
	{"h[b-a]llo", "hbllo", true},
	{"h[b-a]llo", "hcllo", false},
	{"[A-Z]", "a", false},
	{"[a-z0-9]", "5", true},
	{"[a-z0-9]", "_", false},
	{"[^a-z]", "A", true},
	{"[^a-z]", "q", false},
	{"[-a]", "-", true},
	{"[a-c-e]", "-", true},
	{"[a-c-e]", "d", false},
	{"[a-c-e]", "e", true},
	{"[a--]", ".", true}, // range '-'..'a'
	{"[a--]", ",", false},
	// A range is recognised before ']': "[a-]" is the range a..']' in an
	// unterminated set, matching ] ^ _ ` a but not '-'.
	{"[a-]", "a", true},
	{"[a-]", "]", true},
	{"[a-]", "_", true},
	{"[a-]", "-", false},
	{"[a-]", "b", false},
	{"[a-]x", "x", true},
	{"[a-]x", "ax", false},
	// Empty sets.
	{"[]", "]", false},
	{"[]", "a", false},
	{"[]a", "a", false},
	{"[]]", "]", false},
	{"[^]", "x", true},
	{"[^]", "]", true},
	{"[^]]", "a]", true},
	// Unterminated sets are closed by the end of the pattern.
	{"[abc", "a", true},
	{"[abc", "c", true},
	{"[abc", "d", false},
	{"[abc", "[abc", false},
	{"x[abc", "xc", true},
	{"[", "[", false},
	{"[", "a", false},
	{"[^", "a", true},
	{"[^", "[", true},
	{"[^a", "b", true},
	{"[^a", "a", false},
	{"[a-c", "b", true},
	// Escapes inside sets.
	{`[\]]`, "]", true},
	{`[\]]`, `\`, false},
	{`[\-]`, "-", true},
	{`[a\-z]`, "-", true},
	{`[a\-z]`, "b", false},
	{`[\\]`, `\`, true},
	{`[\`, `\`, true}, // trailing lone backslash in a set is literal
	{`[\`, "[", false},
	{`[\^a]`, "^", true},
	{`[^\^]`, "^", false},
	{`[a-\]`, `\`, true}, // the range end is not an escape: range '\'..'a'
	{`[a-\]`, "^", true},
	{`[a-\]`, "b", false},

	// Escapes outside sets.
	{`h\*llo`, "h*llo", true},
	{`h\*llo`, "hello", false},
	{`h\?llo`, "h?llo", true},
	{`h\?llo`, "hallo", false},
	{`\[a]`, "[a]", true},
	{`\[a]`, "a", false},
	{`\a`, "a", true},
	{`\a`, `\a`, false},
	{`\\`, `\`, true},
	{`\\`, `\\`, false},
	{`\`, `\`, true}, // lone trailing backslash matches itself
	{`\`, "", false},
	{`a\`, `a\`, true},
	{`a\`, "a", false},
	{`*\`, `abc\`, true},
	{`\*`, "x", false},
	{`\**`, "*abc", true},

	// NUL bytes.
	{"\x00", "\x00", true},
	{"a\x00*", "a\x00bc", true},
	{"?", "\x00", true},
	{"[\x00]", "\x00", true},
	{"[^\x00]", "\x00", false},
	{"a*", "a\x00", true},
	{"a", "a\x00", false},
	{"*\x00*", "ab\x00cd", true},
	{"*\x00*", "abcd", false},

	// Bytes >= 0x80: byte-wise, not UTF-8 aware.
	{"\xff*", "\xff\xfe", true},
	{"caf?", "caf\xc3\xa9", false},
	{"caf??", "caf\xc3\xa9", true},
	{"caf\xc3\xa9", "caf\xc3\xa9", true},
	{"[\xc3]?", "\xc3\xa9", true},
	{"[\x80-\xff]", "\xc3", true},
	{"[\x80-\xff]", "a", false},
	{"[\xff-\x80]", "\x80", true},
	// Ranges compare signed chars (x86-64 Redis): a..0x80 is -128..97.
	{"[a-\x80]", "\xc3", true},
	{"[a-\x80]", "0", true},
	{"[a-\x80]", "a", true},
	{"[a-\x80]", "b", false},
	{"[a-\x80]", "\x7f", false},
	{"[\x01-\xff]", "\x00", true},
	{"[\x01-\xff]", "\x01", true},
	{"[\x01-\xff]", "\xff", true},
	{"[\x01-\xff]", "\x02", false},

	// Redis's '*' nesting limit (1000).
	{strings.Repeat("*a", 1000), strings.Repeat("a", 1000), true},
	{strings.Repeat("*a", 1001), strings.Repeat("a", 1001), false},
	{strings.Repeat("*a", 1001) + "*", strings.Repeat("a", 1001), false},
	{strings.Repeat("a*", 1001), strings.Repeat("a", 1001), true},
	{strings.Repeat("a*", 1001), strings.Repeat("a", 1000), false},
	{strings.Repeat("*", 5000) + "x", "yx", true},
}

func TestMatchTable(t *testing.T) {
	for _, tc := range globCases {
		p, n := []byte(tc.pattern), []byte(tc.name)
		if got := Match(p, n); got != tc.want {
			t.Errorf("Match(%s, %s) = %v, want %v", short(tc.pattern), short(tc.name), got, tc.want)
		}
		if got := MatchString(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchString(%s, %s) = %v, want %v", short(tc.pattern), short(tc.name), got, tc.want)
		}
		if len(tc.pattern) <= 12 && len(tc.name) <= 12 {
			if got := refMatch(p, n); got != tc.want {
				t.Errorf("refMatch(%s, %s) = %v, want %v (reference disagrees with table)",
					short(tc.pattern), short(tc.name), got, tc.want)
			}
		}
	}
}

func TestIsPattern(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"", false},
		{"news.sport", false},
		{"a]b-c^d", false},
		{"\x00\xff", false},
		{"news.*", true},
		{"h?llo", true},
		{"h[ae]llo", true},
		{`h\ello`, true},
		{`\`, true},
		{"[", true},
	} {
		if got := IsPattern([]byte(tc.p)); got != tc.want {
			t.Errorf("IsPattern(%q) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestMatchPathological(t *testing.T) {
	long := strings.Repeat("a", 10_000)
	for _, p := range []string{
		"a*a*a*a*a*a*a*a*a*a*b",
		strings.Repeat("*a", 100) + "b",
		strings.Repeat("*", 100) + "b",
		strings.Repeat("a*", 999) + "b",
		strings.Repeat("*?", 500) + "b",
		strings.Repeat("*[a-z]", 200) + "[^a]",
	} {
		if MatchString(p, long) {
			t.Errorf("MatchString(%s, 10000×a) = true, want false", short(p))
		}
	}
	if !MatchString("a*a*a*a*a*a*a*a*a*a*a", long) {
		t.Errorf("a*…*a should match 10000×a")
	}
}

func TestMatchStringNoAlloc(t *testing.T) {
	pattern, name := "news.*.[a-z]?[^0-9]*x", "news.sport.football.qx"
	if !MatchString(pattern, name) {
		t.Fatal("expected a match")
	}
	if n := testing.AllocsPerRun(100, func() { MatchString(pattern, name) }); n != 0 {
		t.Errorf("MatchString allocated %v times per run, want 0", n)
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, bc := range []struct{ name, pattern, subject string }{
		{"literal", "news.sport.football", "news.sport.football"},
		{"prefix", "news.*", "news.sport.football"},
		{"mixed", "news.*.[a-z]?[^0-9]*x", "news.sport.football.qx"},
		{"pathological", "a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 1000)},
	} {
		b.Run(bc.name+"/string", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				MatchString(bc.pattern, bc.subject)
			}
		})
		p, s := []byte(bc.pattern), []byte(bc.subject)
		b.Run(bc.name+"/bytes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Match(p, s)
			}
		})
	}
}

func FuzzMatch(f *testing.F) {
	for _, tc := range globCases {
		if len(tc.pattern) <= 64 && len(tc.name) <= 64 {
			f.Add([]byte(tc.pattern), []byte(tc.name))
		}
	}
	f.Fuzz(func(t *testing.T, pattern, name []byte) {
		check := func(pattern, name []byte) {
			got := Match(pattern, name)
			if s := MatchString(string(pattern), string(name)); s != got {
				t.Fatalf("Match(%q, %q) = %v but MatchString = %v", pattern, name, got, s)
			}
			if !IsPattern(pattern) && got != bytes.Equal(pattern, name) {
				t.Fatalf("Match(%q, %q) = %v for a non-pattern", pattern, name, got)
			}
			if len(pattern) <= 12 && len(name) <= 12 {
				if want := refMatch(pattern, name); got != want {
					t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, name, got, want)
				}
			}
		}
		check(pattern, name)
		// Random bytes rarely form interesting globs; also try the input
		// folded onto a small alphabet dense in metacharacters.
		check(fold(pattern, "ab*?[]^-\\\x80"), fold(name, "ab]^-\\*[\x80\xff"))
	})
}

func fold(b []byte, alphabet string) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = alphabet[int(c)%len(alphabet)]
	}
	return out
}

// refMatch is a deliberately naive, exponential reference implementation of
// the Redis glob rules, used only on short inputs.
func refMatch(pattern, name []byte) bool {
	if len(name) == 0 {
		return len(pattern) == 0 // Redis: only "" matches ""
	}
	return refRec(pattern, name)
}

func refRec(p, s []byte) bool {
	if len(p) == 0 {
		return len(s) == 0
	}
	if p[0] == '*' {
		rest := bytes.TrimLeft(p, "*") // "**" is the same as "*"
		for k := 0; k <= len(s); k++ {
			if refRec(rest, s[k:]) {
				return true
			}
		}
		return false
	}
	if len(s) == 0 {
		return false
	}
	set, n := refToken(p)
	return set[s[0]] && refRec(p[n:], s[1:])
}

// refToken returns the set of bytes accepted by the non-star token at the
// start of p, and the token's length in bytes.
func refToken(p []byte) (set [256]bool, n int) {
	switch p[0] {
	case '?':
		for i := range set {
			set[i] = true
		}
		return set, 1
	case '\\':
		if len(p) == 1 {
			set['\\'] = true
			return set, 1
		}
		set[p[1]] = true
		return set, 2
	case '[':
		i, negate := 1, false
		if len(p) > 1 && p[1] == '^' {
			i, negate = 2, true
		}
	loop:
		for {
			rest := p[i:]
			switch {
			case len(rest) == 0:
				break loop
			case len(rest) >= 2 && rest[0] == '\\':
				set[rest[1]] = true
				i += 2
			case rest[0] == ']':
				i++
				break loop
			case len(rest) >= 3 && rest[1] == '-':
				a, z := int(int8(rest[0])), int(int8(rest[2]))
				for c := range 256 {
					v := int(int8(c))
					if (a <= v && v <= z) || (z <= v && v <= a) {
						set[c] = true
					}
				}
				i += 3
			default:
				set[rest[0]] = true
				i++
			}
		}
		if negate {
			for c := range set {
				set[c] = !set[c]
			}
		}
		return set, i
	default:
		set[p[0]] = true
		return set, 1
	}
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q…(%d bytes)", s[:40], len(s))
	}
	return strconv.Quote(s)
}

// TestMatchAgainstRedis checks Match against the KEYS command of a real
// redis-server, over the table's patterns and names plus random ones.
func TestMatchAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping redis-server comparison in -short mode")
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not installed")
	}
	conn := startRedis(t, bin)

	var patterns, names []string
	for _, tc := range globCases {
		patterns = append(patterns, tc.pattern)
		names = append(names, tc.name)
	}
	patterns = append(patterns,
		"*", "?*", "*?", "[a-z]*", "*[^a-z]", `*\*`, "k:*", "k:[0-9]*",
	)
	names = append(names, "k:1", "k:10", "k:x", "*", "?", "-", "^", "_", "`", "[")

	// Random patterns and names over alphabets dense in metacharacters.
	r := rand.New(rand.NewPCG(1, 2))
	randStr := func(alphabet string, maxLen int) string {
		b := make([]byte, r.IntN(maxLen+1))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	var randPatterns, randNames []string
	for range 400 {
		randPatterns = append(randPatterns, randStr("ab*?[]^-\\\x80", 8))
	}
	for range 40 {
		randNames = append(randNames, randStr("ab]^-\\*[\x80\xff", 5))
	}

	t.Run("table", func(t *testing.T) {
		compareKeys(t, conn, slices.Compact(slices.Sorted(slices.Values(patterns))), names)
	})
	t.Run("random", func(t *testing.T) {
		compareKeys(t, conn, randPatterns, randNames)
	})
}

// compareKeys loads names as keys into an empty database and compares the
// reply of KEYS p with Match for every pattern p.
func compareKeys(t *testing.T, c *respConn, patterns, names []string) {
	t.Helper()
	if _, err := c.do("FLUSHALL"); err != nil {
		t.Fatal(err)
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	for _, n := range names {
		if _, err := c.do("SET", n, "1"); err != nil {
			t.Fatalf("SET %s: %v", short(n), err)
		}
	}
	for _, p := range patterns {
		reply, err := c.do("KEYS", p)
		if err != nil {
			t.Fatalf("KEYS %s: %v", short(p), err)
		}
		got, ok := reply.([]any)
		if !ok {
			t.Fatalf("KEYS %s: unexpected reply %#v", short(p), reply)
		}
		redis := make([]string, 0, len(got))
		for _, k := range got {
			redis = append(redis, k.(string))
		}
		slices.Sort(redis)
		var ours []string
		for _, n := range names {
			// KEYS short-circuits the exact pattern "*" (returning every
			// key, even ""), without calling stringmatchlen.
			if p == "*" || MatchString(p, n) {
				ours = append(ours, n)
			}
		}
		if !slices.Equal(redis, ours) {
			for _, n := range names {
				inRedis := slices.Contains(redis, n)
				if inRedis != slices.Contains(ours, n) {
					t.Errorf("pattern %s, name %s: redis=%v Match=%v", short(p), short(n), inRedis, !inRedis)
				}
			}
		}
	}
}

func startRedis(t *testing.T, bin string) *respConn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", t.TempDir(),
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			c := &respConn{conn: nc, r: bufio.NewReader(nc), w: bufio.NewWriter(nc)}
			t.Cleanup(func() { nc.Close() })
			if _, err := c.do("PING"); err == nil {
				return c
			}
			nc.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// respConn is a minimal RESP2 client, just enough for SET, KEYS and FLUSHALL.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

func (c *respConn) do(args ...string) (any, error) {
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	return c.read()
}

func (c *respConn) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("malformed reply line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return body, nil
	case '-':
		return nil, errors.New(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err // nil bulk string
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, 0, n)
		for range n {
			v, err := c.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unknown reply type %q", kind)
	}
}
