package broker

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzDecodeCommand from the sample commands")

// corpusDir holds FuzzDecodeCommand's seed corpus: one command of every
// kind and a batch, encoded by version 1 of the codec. The files are also
// the codec's compatibility record: TestCommandCorpus requires every one
// to decode and re-encode to the same bytes, so an incompatible change to
// the encoding fails here, not on a replica reading an old Raft entry.
var corpusDir = filepath.Join("testdata", "fuzz", "FuzzDecodeCommand")

// TestCommandCorpus checks the committed corpus (or rewrites it with
// -update-corpus).
func TestCommandCorpus(t *testing.T) {
	if *updateCorpus {
		writeCorpus(t)
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "v1-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in %s (%v); run go test -run TestCommandCorpus -update-corpus", corpusDir, err)
	}
	kinds := map[OpKind]bool{}
	for _, f := range files {
		data := readCorpusFile(t, f)
		if strings.Contains(f, "batch") {
			b, err := DecodeBatch(data)
			if err != nil || !bytes.Equal(EncodeBatch(nil, &b), data) {
				t.Fatalf("%s: batch does not decode to the same bytes (%v)", f, err)
			}
			continue
		}
		c, err := DecodeCommand(data)
		if err != nil || !bytes.Equal(EncodeCommand(nil, &c), data) {
			t.Fatalf("%s: command does not decode to the same bytes (%v)", f, err)
		}
		kinds[c.Kind] = true
	}
	for k := OpKind(1); k <= maxOpKind; k++ {
		if !kinds[k] {
			t.Errorf("the corpus has no command of kind %d", k)
		}
	}
}

// writeCorpus writes one random command of every kind and a batch.
func writeCorpus(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(corpusDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	have := map[OpKind]bool{}
	for len(have) < int(maxOpKind) {
		c := randomCommand(rng)
		if have[c.Kind] {
			continue
		}
		have[c.Kind] = true
		writeCorpusFile(t, fmt.Sprintf("v1-kind%02d", c.Kind), EncodeCommand(nil, &c))
	}
	b := Batch{TimeMs: 1_764_633_600_000, Commands: []Command{randomCommand(rng), randomCommand(rng), randomCommand(rng)}}
	writeCorpusFile(t, "v1-batch", EncodeBatch(nil, &b))
}

// The file format of Go's fuzzing corpus: a header line, then one Go
// literal per argument of the fuzz function.
const corpusHeader = "go test fuzz v1\n"

func writeCorpusFile(t *testing.T, name string, data []byte) {
	t.Helper()
	body := corpusHeader + "[]byte(" + strconv.Quote(string(data)) + ")\n"
	if err := os.WriteFile(filepath.Join(corpusDir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readCorpusFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lit, ok := strings.CutPrefix(string(raw), corpusHeader)
	lit = strings.TrimSpace(lit)
	if !ok || !strings.HasPrefix(lit, "[]byte(") || !strings.HasSuffix(lit, ")") {
		t.Fatalf("%s: not a corpus file of one []byte", path)
	}
	s, err := strconv.Unquote(lit[len("[]byte(") : len(lit)-1])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}
