// Command gendocs writes commanddocs's data file from Redis's command
// descriptions: the JSON files of src/commands in a Redis source tree
// (https://github.com/redis/redis; rewind follows tag 7.2.6). It keeps the
// commands rewind implements (rewindCommands) and adds what Redis itself
// adds when it loads its command table (src/server.c, 7.2:
// setImplicitACLCategories, populateCommandLegacyRangeSpec): implicit ACL
// categories, the movablekeys flag and the legacy first key, last key and
// step. It writes flags, categories and key-spec flags in the order of
// Redis's COMMAND INFO replies, argument names and display texts in lower
// case and tokens in upper case, as Redis's utils/generate-command-code.py
// does.
//
//	go run ./resp/internal/commanddocs/gendocs -redis=/path/to/redis -out=resp/internal/commanddocs/redis-7.2.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/rewind-mq/rewind/resp/internal/commanddocs"
)

// rewindCommands are the Redis commands (full names) whose metadata rewind
// reports: those it implements or is about to.
var rewindCommands = []string{
	"auth", "echo", "hello", "ping", "quit", "reset", "select",
	"client", "client|getname", "client|help", "client|id", "client|info", "client|kill", "client|list",
	"client|no-evict", "client|no-touch", "client|reply", "client|setinfo", "client|setname",
	"publish", "spublish", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
	"pubsub", "pubsub|channels", "pubsub|shardchannels", "pubsub|numsub", "pubsub|shardnumsub", "pubsub|numpat", "pubsub|help",
	"multi", "exec", "discard", "watch", "unwatch",
	"xadd", "xrange", "xrevrange", "xlen", "xread", "xdel", "xtrim", "xsetid",
	"xinfo", "xinfo|stream", "xinfo|groups", "xinfo|consumers", "xinfo|help",
	"xgroup", "xgroup|create", "xgroup|createconsumer", "xgroup|delconsumer", "xgroup|destroy", "xgroup|setid", "xgroup|help",
	"xreadgroup", "xack", "xpending", "xclaim", "xautoclaim",
	"del", "unlink", "exists", "type", "keys", "scan", "randomkey", "ttl", "pttl",
	"command", "command|count", "command|docs", "command|getkeys", "command|getkeysandflags", "command|help", "command|info", "command|list",
	"info", "config", "config|get", "config|set", "config|resetstat", "config|rewrite", "config|help",
	"dbsize", "time", "lastsave", "save", "bgsave", "shutdown", "flushall", "flushdb",
}

func main() {
	redisDir := flag.String("redis", "", "a Redis source tree (git clone --depth 1 --branch 7.2.6 https://github.com/redis/redis)")
	out := flag.String("out", "redis-7.2.json", "the data file to write")
	flag.Parse()
	if err := run(*redisDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(redisDir, out string) error {
	if redisDir == "" {
		return errors.New("-redis is required (set REDIS_SRC for go generate): a Redis 7.2 source tree, " +
			"e.g. git clone --depth 1 --branch 7.2.6 https://github.com/redis/redis")
	}
	f, err := generate(redisDir, rewindCommands)
	if err != nil {
		return err
	}
	b, err := commanddocs.Encode(f)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// generate reads the Redis source tree at redisDir and returns the
// metadata of the commands names.
func generate(redisDir string, names []string) (*commanddocs.File, error) {
	version, err := redisVersion(redisDir)
	if err != nil {
		return nil, err
	}
	descs, err := readDescriptions(filepath.Join(redisDir, "src", "commands"))
	if err != nil {
		return nil, err
	}
	f := &commanddocs.File{
		Source:   "Redis " + version + ", src/commands/*.json (https://github.com/redis/redis), by resp/internal/commanddocs/gendocs",
		Commands: map[string]commanddocs.Doc{},
	}
	for _, name := range names {
		d, ok := descs[name]
		if !ok {
			return nil, fmt.Errorf("Redis %s describes no command %q", version, name)
		}
		doc, err := d.doc()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		f.Commands[name] = doc
	}
	return f, nil
}

// redisVersion reads REDIS_VERSION from src/version.h.
func redisVersion(redisDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(redisDir, "src", "version.h"))
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(`#define REDIS_VERSION "([^"]+)"`).FindSubmatch(b)
	if m == nil {
		return "", errors.New("src/version.h defines no REDIS_VERSION")
	}
	return string(m[1]), nil
}

// description is a command's entry in one of Redis's src/commands/*.json.
type description struct {
	Summary         string        `json:"summary"`
	Complexity      string        `json:"complexity"`
	Group           string        `json:"group"`
	Since           string        `json:"since"`
	Arity           int           `json:"arity"`
	Container       string        `json:"container"`
	History         [][2]string   `json:"history"`
	DocFlags        []string      `json:"doc_flags"`
	DeprecatedSince string        `json:"deprecated_since"`
	ReplacedBy      string        `json:"replaced_by"`
	CommandFlags    []string      `json:"command_flags"`
	ACLCategories   []string      `json:"acl_categories"`
	CommandTips     []string      `json:"command_tips"`
	KeySpecs        []keySpecDesc `json:"key_specs"`
	Arguments       []argDesc     `json:"arguments"`
}

type keySpecDesc struct {
	Notes       string   `json:"notes"`
	Flags       []string `json:"flags"`
	BeginSearch struct {
		Index *struct {
			Pos int `json:"pos"`
		} `json:"index"`
		Keyword *struct {
			Keyword   string `json:"keyword"`
			StartFrom int    `json:"startfrom"`
		} `json:"keyword"`
	} `json:"begin_search"`
	FindKeys struct {
		Range *struct {
			LastKey int `json:"lastkey"`
			Step    int `json:"step"`
			Limit   int `json:"limit"`
		} `json:"range"`
		Keynum *struct {
			KeynumIdx int `json:"keynumidx"`
			FirstKey  int `json:"firstkey"`
			Step      int `json:"step"`
		} `json:"keynum"`
	} `json:"find_keys"`
}

type argDesc struct {
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	Display         string    `json:"display"`
	KeySpecIndex    *int      `json:"key_spec_index"`
	Token           string    `json:"token"`
	Summary         string    `json:"summary"`
	Since           string    `json:"since"`
	DeprecatedSince string    `json:"deprecated_since"`
	Optional        bool      `json:"optional"`
	Multiple        bool      `json:"multiple"`
	MultipleToken   bool      `json:"multiple_token"`
	Arguments       []argDesc `json:"arguments"`
}

// readDescriptions reads every description in dir, by full name.
func readDescriptions(dir string) (map[string]*description, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no command descriptions in %s", dir)
	}
	descs := map[string]*description{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var byName map[string]*description
		if err := json.Unmarshal(b, &byName); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for name, d := range byName {
			full := strings.ToLower(name)
			if d.Container != "" {
				full = strings.ToLower(d.Container) + "|" + full
			}
			descs[full] = d
		}
	}
	return descs, nil
}

// commandFlags are the command flags COMMAND INFO shows, in its order
// (addReplyFlagsForCommand), as the JSON names them; hiddenFlags are
// those it leaves out.
var (
	commandFlags = []string{"WRITE", "READONLY", "DENYOOM", "MODULE", "ADMIN", "PUBSUB", "NOSCRIPT", "BLOCKING",
		"LOADING", "STALE", "SKIP_MONITOR", "SKIP_SLOWLOG", "ASKING", "FAST", "NO_AUTH", "NO_MANDATORY_KEYS",
		"NO_ASYNC_LOADING", "NO_MULTI", "MOVABLE_KEYS", "ALLOW_BUSY"}
	hiddenFlags = []string{"MAY_REPLICATE", "SENTINEL", "ONLY_SENTINEL", "PROTECTED", "TOUCHES_ARBITRARY_KEYS"}
	// aclCategories are Redis's ACL categories in the order it lists them.
	aclCategories = []string{"KEYSPACE", "READ", "WRITE", "SET", "SORTEDSET", "LIST", "HASH", "STRING", "BITMAP",
		"HYPERLOGLOG", "GEO", "STREAM", "PUBSUB", "ADMIN", "FAST", "SLOW", "BLOCKING", "DANGEROUS", "CONNECTION",
		"TRANSACTION", "SCRIPTING"}
	// keySpecFlags are the key-spec flags in the order and spelling of
	// Redis's replies (addReplyFlagsForKeyArgs).
	keySpecFlags = []string{"RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
		"incomplete", "variable_flags"}
	docFlags = []string{"DEPRECATED", "SYSCMD"}
)

// doc converts a description to what Redis reports for it.
func (d *description) doc() (commanddocs.Doc, error) {
	flags := map[string]bool{}
	for _, f := range d.CommandFlags {
		if !slices.Contains(commandFlags, f) && !slices.Contains(hiddenFlags, f) {
			return commanddocs.Doc{}, fmt.Errorf("unknown command flag %s", f)
		}
		flags[f] = true
	}
	first, last, step, movable := legacyRange(d.KeySpecs)
	flags["MOVABLE_KEYS"] = movable
	doc := commanddocs.Doc{
		Arity: d.Arity, FirstKey: first, LastKey: last, KeyStep: step,
		Flags: words(commandFlags, flags, func(f string) string {
			if f == "MOVABLE_KEYS" {
				return "movablekeys"
			}
			return strings.ToLower(f)
		}),
		ACL:     d.acl(flags),
		Summary: d.Summary, Since: d.Since, Group: d.Group, Complexity: d.Complexity,
		DeprecatedSince: d.DeprecatedSince, ReplacedBy: d.ReplacedBy, History: d.History,
	}
	var err error
	if doc.DocFlags, err = choose(docFlags, d.DocFlags, strings.ToLower); err != nil {
		return doc, err
	}
	for _, tip := range d.CommandTips {
		doc.Tips = append(doc.Tips, strings.ToLower(tip))
	}
	for _, ks := range d.KeySpecs {
		spec, err := ks.spec()
		if err != nil {
			return doc, err
		}
		doc.KeySpecs = append(doc.KeySpecs, spec)
	}
	doc.Args, err = docArgs(d.Arguments)
	return doc, err
}

// acl is the command's ACL categories with the implicit ones its flags add
// (setImplicitACLCategories).
func (d *description) acl(flags map[string]bool) string {
	has := map[string]bool{}
	for _, c := range d.ACLCategories {
		has[c] = true
	}
	has["WRITE"] = has["WRITE"] || flags["WRITE"]
	has["READ"] = has["READ"] || flags["READONLY"] && !has["SCRIPTING"]
	has["ADMIN"] = has["ADMIN"] || flags["ADMIN"]
	has["DANGEROUS"] = has["DANGEROUS"] || flags["ADMIN"]
	has["PUBSUB"] = has["PUBSUB"] || flags["PUBSUB"]
	has["FAST"] = has["FAST"] || flags["FAST"]
	has["BLOCKING"] = has["BLOCKING"] || flags["BLOCKING"]
	has["SLOW"] = has["SLOW"] || !has["FAST"]
	return words(aclCategories, has, func(c string) string { return "@" + strings.ToLower(c) })
}

// words lists the names in order that are set, spelled by spell,
// separated by spaces.
func words(order []string, set map[string]bool, spell func(string) string) string {
	var out []string
	for _, name := range order {
		if set[name] {
			out = append(out, spell(name))
		}
	}
	return strings.Join(out, " ")
}

// choose is words for a list of names, which must all be in order
// (compared case-insensitively).
func choose(order, names []string, spell func(string) string) (string, error) {
	set := map[string]bool{}
	for _, n := range names {
		i := slices.IndexFunc(order, func(o string) bool { return strings.EqualFold(o, n) })
		if i < 0 {
			return "", fmt.Errorf("unknown flag %s", n)
		}
		set[order[i]] = true
	}
	return words(order, set, spell), nil
}

// isRange reports whether a key spec begins at an index and finds a range.
func (ks *keySpecDesc) isRange() bool {
	return ks.BeginSearch.Index != nil && ks.FindKeys.Range != nil
}

// legacyRange is the first key, last key and step COMMAND INFO reports,
// and whether the command has movable keys, from its key specs as Redis
// 7.2's populateCommandLegacyRangeSpec derives them.
func legacyRange(specs []keySpecDesc) (first, last, step int, movable bool) {
	incomplete := func(ks *keySpecDesc) bool { return slices.Contains(ks.Flags, "INCOMPLETE") }
	switch {
	case len(specs) == 0:
		return 0, 0, 0, false
	case len(specs) == 1 && specs[0].isRange():
		ks := &specs[0]
		first, last = ks.BeginSearch.Index.Pos, ks.FindKeys.Range.LastKey
		if last >= 0 {
			last += first
		}
		return first, last, ks.FindKeys.Range.Step, incomplete(ks)
	}
	first, lastAbs, prevLast := math.MaxInt, 0, 0
	for i := range specs {
		ks := &specs[i]
		if !ks.isRange() {
			movable = true
			continue
		}
		pos, r := ks.BeginSearch.Index.Pos, ks.FindKeys.Range
		if r.Step != 1 || prevLast != 0 && prevLast != pos-1 {
			movable = true
			continue
		}
		movable = movable || incomplete(ks)
		first = min(first, pos)
		abs := r.LastKey
		if abs >= 0 {
			abs += pos
		}
		if uint32(abs) > uint32(lastAbs) { // Redis compares unsigned: -1 is the largest
			lastAbs = abs
		}
		prevLast = lastAbs
	}
	if first == math.MaxInt {
		return 0, 0, 0, true
	}
	return first, lastAbs, 1, movable
}

// spec converts a key spec.
func (ks *keySpecDesc) spec() (commanddocs.KeySpec, error) {
	spec := commanddocs.KeySpec{Notes: ks.Notes}
	var err error
	if spec.Flags, err = choose(keySpecFlags, ks.Flags, func(f string) string { return f }); err != nil {
		return spec, err
	}
	switch bs := ks.BeginSearch; {
	case bs.Index != nil:
		spec.Index = bs.Index.Pos
	case bs.Keyword != nil:
		spec.Keyword, spec.StartFrom = bs.Keyword.Keyword, bs.Keyword.StartFrom
	}
	switch fk := ks.FindKeys; {
	case fk.Range != nil:
		spec.Range = &[3]int{fk.Range.LastKey, fk.Range.Step, fk.Range.Limit}
	case fk.Keynum != nil:
		spec.Keynum = &[3]int{fk.Keynum.KeynumIdx, fk.Keynum.FirstKey, fk.Keynum.Step}
	}
	return spec, nil
}

// docArgs converts arguments.
func docArgs(descs []argDesc) ([]commanddocs.Arg, error) {
	var args []commanddocs.Arg
	for _, a := range descs {
		arg := commanddocs.Arg{
			Name: strings.ToLower(a.Name), Type: a.Type, KeySpecIndex: a.KeySpecIndex,
			Token: strings.ToUpper(a.Token), Summary: a.Summary, Since: a.Since, DeprecatedSince: a.DeprecatedSince,
		}
		if display := strings.ToLower(a.Display); display != arg.Name {
			arg.Display = display
		}
		var flags []string
		for _, f := range []struct {
			set  bool
			name string
		}{{a.Optional, "optional"}, {a.Multiple, "multiple"}, {a.MultipleToken, "multiple_token"}} {
			if f.set {
				flags = append(flags, f.name)
			}
		}
		arg.Flags = strings.Join(flags, " ")
		var err error
		if arg.Args, err = docArgs(a.Arguments); err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}
