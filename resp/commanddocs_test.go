package resp

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
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
