package resp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/rewind-mq/rewind/resp/internal/commanddocs"
)

// updateCommandDocsGolden rewrites testdata/commanddocs.golden instead of
// comparing with it: go test ./resp/ -run TestCommandDocsGolden -update-command-docs.
var updateCommandDocsGolden = flag.Bool("update-command-docs", false, "rewrite testdata/commanddocs.golden")

// TestCommandDocsGolden renders COMMAND INFO and COMMAND DOCS for every
// command and subcommand, in RESP2 and RESP3, and compares the replies
// byte for byte with the golden file recorded before the command docs
// moved from Go code to embedded data.
func TestCommandDocsGolden(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	var names []string
	for _, cmd := range sortedCommands(commandTable) {
		names = append(names, cmd.fullName())
		for _, sub := range sortedCommands(cmd.subs) {
			names = append(names, sub.fullName())
		}
	}
	var got bytes.Buffer
	for _, proto := range []int{2, 3} {
		raw := ts.dialRawKeys(proto)
		for _, name := range names {
			for _, sub := range []string{"INFO", "DOCS"} {
				reply := raw.do("COMMAND", sub, name)
				got.WriteString("RESP" + strconv.Itoa(proto) + " COMMAND " + sub + " " + name + " " +
					strconv.Itoa(len(reply)) + "\n" + reply + "\n")
			}
		}
	}
	path := filepath.Join("testdata", "commanddocs.golden")
	if *updateCommandDocsGolden {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (record it with -update-command-docs)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		gotLines, wantLines := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < min(len(gotLines), len(wantLines)); i++ {
			if !bytes.Equal(gotLines[i], wantLines[i]) {
				t.Fatalf("line %d differs from %s:\n got %q\nwant %q", i+1, path, gotLines[i], wantLines[i])
			}
		}
		t.Fatalf("%d lines, %s has %d", len(gotLines), path, len(wantLines))
	}
}

// withoutRedisDocs are the commands rewind describes from their table
// entries: its own, and Redis's newer than 7.2.
var withoutRedisDocs = []string{"retention", "retention|help", "xackdel", "xdelex", "xgroup|getconfig", "xgroup|setconfig", "xstream"}

// TestRedisCommandDocsLoad checks the embedded metadata: it decodes, every
// entry describes a command of the table, and every command of the table
// has Redis's metadata unless it is one of withoutRedisDocs.
func TestRedisCommandDocsLoad(t *testing.T) {
	docs, err := loadRedisCommandDocs()
	if err != nil {
		t.Fatal(err)
	}
	for name := range docs {
		if commandByFullName([]byte(name)) == nil {
			t.Errorf("the data describes %s, which is not in the command table", name)
		}
	}
	var missing []string
	for _, cmd := range sortedCommands(commandTable) {
		for _, c := range append([]*command{cmd}, sortedCommands(cmd.subs)...) {
			if name := c.fullName(); docs[name] == nil && redisCommandDocs[name] == nil {
				missing = append(missing, name)
			}
		}
	}
	if !slices.Equal(missing, withoutRedisDocs) {
		t.Errorf("commands without Redis metadata: %q, want %q", missing, withoutRedisDocs)
	}
	if d := docs["xread"]; d == nil || d.flags != "readonly blocking movablekeys" || len(d.keySpecs) != 1 ||
		d.keySpecs[0].keyword != "STREAMS" || d.keySpecs[0].find != keysRange {
		t.Errorf("xread = %+v", d)
	}
}

func TestCommandDocFromDataRejects(t *testing.T) {
	one := 1
	for name, d := range map[string]commanddocs.Doc{
		"key spec index out of range": {Arity: 2, Args: []commanddocs.Arg{{Name: "key", Type: "key", KeySpecIndex: &one}},
			KeySpecs: []commanddocs.KeySpec{{Flags: "RO", Index: 1, Range: &[3]int{0, 1, 0}}}},
		"nested key spec index without specs": {Arity: 2, Args: []commanddocs.Arg{{Name: "b", Type: "block",
			Args: []commanddocs.Arg{{Name: "key", Type: "key", KeySpecIndex: &one}}}}},
		"index and keyword": {Arity: 2, KeySpecs: []commanddocs.KeySpec{{Flags: "RO", Index: 1, Keyword: "X"}}},
		"range and keynum":  {Arity: 2, KeySpecs: []commanddocs.KeySpec{{Flags: "RO", Index: 1, Range: &[3]int{}, Keynum: &[3]int{}}}},
	} {
		if _, err := commandDocFromData(&d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
