package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rewind-mq/rewind/resp/internal/commanddocs"
)

// indexRange is a key spec that begins at pos and finds a range.
func indexRange(pos, lastKey, step int, flags ...string) keySpecDesc {
	var ks keySpecDesc
	ks.Flags = flags
	ks.BeginSearch.Index = &struct {
		Pos int `json:"pos"`
	}{pos}
	ks.FindKeys.Range = &struct {
		LastKey int `json:"lastkey"`
		Step    int `json:"step"`
		Limit   int `json:"limit"`
	}{lastKey, step, 0}
	return ks
}

func TestLegacyRange(t *testing.T) {
	var keyword keySpecDesc
	keyword.BeginSearch.Keyword = &struct {
		Keyword   string `json:"keyword"`
		StartFrom int    `json:"startfrom"`
	}{"STREAMS", 1}
	keyword.FindKeys.Range = indexRange(1, -1, 1).FindKeys.Range
	for _, tc := range []struct {
		name              string
		specs             []keySpecDesc
		first, last, step int
		movable           bool
	}{
		{"no keys", nil, 0, 0, 0, false},
		{"one key", []keySpecDesc{indexRange(1, 0, 1)}, 1, 1, 1, false},
		{"all keys to the end", []keySpecDesc{indexRange(1, -1, 1)}, 1, -1, 1, false},
		{"every other argument", []keySpecDesc{indexRange(1, -1, 2)}, 1, -1, 2, false},
		{"incomplete", []keySpecDesc{indexRange(1, 0, 1, "RO", "INCOMPLETE")}, 1, 1, 1, true},
		{"by keyword", []keySpecDesc{keyword}, 0, 0, 0, true},
		{"two consecutive", []keySpecDesc{indexRange(1, 0, 1), indexRange(2, 0, 1)}, 1, 2, 1, false},
		{"then to the end", []keySpecDesc{indexRange(1, 0, 1), indexRange(2, -1, 1)}, 1, -1, 1, false},
		{"a gap", []keySpecDesc{indexRange(1, 0, 1), indexRange(3, 0, 1)}, 1, 1, 1, true},
		{"a range and a keyword", []keySpecDesc{indexRange(1, 0, 1), keyword}, 1, 1, 1, true},
	} {
		first, last, step, movable := legacyRange(tc.specs)
		if first != tc.first || last != tc.last || step != tc.step || movable != tc.movable {
			t.Errorf("%s: %d %d %d movable %v, want %d %d %d movable %v", tc.name,
				first, last, step, movable, tc.first, tc.last, tc.step, tc.movable)
		}
	}
}

func TestImplicitACL(t *testing.T) {
	for _, tc := range []struct {
		categories, flags []string
		want              string
	}{
		{[]string{"STREAM"}, []string{"WRITE", "DENYOOM", "FAST"}, "@write @stream @fast"},
		{[]string{"STREAM"}, []string{"READONLY", "BLOCKING"}, "@read @stream @slow @blocking"},
		{nil, []string{"ADMIN", "NOSCRIPT"}, "@admin @slow @dangerous"},
		{[]string{"SCRIPTING"}, []string{"READONLY"}, "@slow @scripting"},
		{nil, nil, "@slow"},
	} {
		flags := map[string]bool{}
		for _, f := range tc.flags {
			flags[f] = true
		}
		d := description{ACLCategories: tc.categories}
		if got := d.acl(flags); got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.categories, tc.flags, got, tc.want)
		}
	}
}

// TestGenerate runs the generator on a small source tree of a container
// command and one subcommand.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	commands := filepath.Join(dir, "src", "commands")
	if err := os.MkdirAll(commands, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"version.h": `#define REDIS_VERSION "7.2.6"` + "\n",
		"commands/box.json": `{"BOX": {"summary": "A container.", "complexity": "Depends on subcommand.",
			"group": "generic", "since": "1.0.0", "arity": -2}}`,
		"commands/box-put.json": `{"PUT": {"summary": "Puts.", "complexity": "O(1)", "group": "generic",
			"since": "1.0.0", "arity": -3, "container": "BOX", "command_flags": ["WRITE", "MAY_REPLICATE", "WRITE"],
			"acl_categories": ["KEYSPACE"], "command_tips": ["NONDETERMINISTIC_OUTPUT"],
			"history": [["2.0.0", "Added the ` + "`NX`" + ` option."]],
			"key_specs": [{"notes": "n", "flags": ["UPDATE", "RW"], "begin_search": {"index": {"pos": 2}},
				"find_keys": {"range": {"lastkey": 0, "step": 1, "limit": 0}}}],
			"arguments": [{"name": "Key", "type": "key", "key_spec_index": 0},
				{"name": "mode", "type": "oneof", "optional": true, "since": "2.0.0", "arguments": [
					{"name": "nx", "type": "pure-token", "token": "nx"},
					{"name": "value", "type": "string", "display": "Value", "multiple": true}]}]}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, "src", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := generate(dir, []string{"box", "box|put"})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	want := map[string]commanddocs.Doc{
		"box": {Arity: -2, ACL: "@slow", Summary: "A container.", Since: "1.0.0", Group: "generic",
			Complexity: "Depends on subcommand."},
		"box|put": {Arity: -3, Flags: "write", ACL: "@keyspace @write @slow", FirstKey: 2, LastKey: 2, KeyStep: 1,
			Summary: "Puts.", Since: "1.0.0", Group: "generic", Complexity: "O(1)",
			Tips: []string{"nondeterministic_output"}, History: [][2]string{{"2.0.0", "Added the `NX` option."}},
			KeySpecs: []commanddocs.KeySpec{{Notes: "n", Flags: "RW update", Index: 2, Range: &[3]int{0, 1, 0}}},
			Args: []commanddocs.Arg{{Name: "key", Type: "key", KeySpecIndex: &zero},
				{Name: "mode", Type: "oneof", Since: "2.0.0", Flags: "optional", Args: []commanddocs.Arg{
					{Name: "nx", Type: "pure-token", Token: "NX"},
					{Name: "value", Type: "string", Flags: "multiple"}}}}},
	}
	if !reflect.DeepEqual(f.Commands, want) {
		t.Errorf("generated\n%+v\nwant\n%+v", f.Commands, want)
	}
	if _, err := generate(dir, []string{"box|get"}); err == nil {
		t.Error("generate accepted a command the tree does not describe")
	}
}
