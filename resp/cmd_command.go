package resp

import (
	"slices"
	"strings"

	"github.com/rewind-mq/rewind/broker"
)

// COMMAND: the command table as Redis 7.2 describes it (COMMAND INFO,
// DOCS, LIST, COUNT, GETKEYS), from the metadata in commanddocs.go.

func init() {
	const ls = flagLoading | flagStale
	register(
		&command{name: "command", arity: -1, flags: ls, group: "server", since: "2.8.13",
			summary: "Returns detailed information about all commands.", run: cmdCommand, subs: map[string]*command{
				"count": {name: "count", arity: 2, flags: ls, group: "server", since: "2.8.13",
					summary: "Returns a count of commands.", run: func(c *conn, _ [][]byte) { c.w.Int(int64(len(commandTable))) }},
				"docs": {name: "docs", arity: -2, flags: ls, group: "server", since: "7.0.0",
					summary: "Returns documentary information about one, multiple or all commands.", run: cmdCommandDocs},
				"getkeys": {name: "getkeys", arity: -3, flags: ls, group: "server", since: "2.8.13",
					summary: "Extracts the key names from an arbitrary command.", run: func(c *conn, a [][]byte) { c.commandGetKeys(a, false) }},
				"getkeysandflags": {name: "getkeysandflags", arity: -3, flags: ls, group: "server", since: "7.0.0",
					summary: "Extracts the key names and access flags for an arbitrary command.", run: func(c *conn, a [][]byte) { c.commandGetKeys(a, true) }},
				"info": {name: "info", arity: -2, flags: ls, group: "server", since: "2.8.13",
					summary: "Returns information about one, multiple or all commands.", run: cmdCommandInfo},
				"list": {name: "list", arity: -2, flags: ls, group: "server", since: "7.0.0",
					summary: "Returns a list of command names.", run: cmdCommandList},
				"help": {name: "help", arity: 2, flags: ls, group: "server", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdCommandHelp},
			}},
	)
}

// commandDoc is the metadata COMMAND INFO and COMMAND DOCS report for one
// command (full name "parent|sub" for subcommands). For commands that exist
// in Redis it is Redis 7.2's own, from its src/commands/*.json
// (redisCommandDocs, commanddocs.go); a command without one is described
// from its table entry.
type commandDoc struct {
	arity                      int    // Redis's arity (a test checks the table agrees)
	flags                      string // COMMAND INFO flags, space-separated, in Redis's order
	acl                        string // ACL categories, "@a @b", in Redis's order
	firstKey, lastKey, keyStep int
	summary, since, group      string
	complexity                 string
	docFlags                   string // "deprecated", "syscmd"
	deprecatedSince            string
	replacedBy                 string
	tips                       []string
	history                    [][2]string // since, change
	keySpecs                   []keySpec
	args                       []docArg
}

// keyFind is how a key spec finds keys after its begin_search position.
type keyFind uint8

const (
	keysUnknown keyFind = iota
	keysRange           // a: lastkey, b: keystep, c: limit
	keysKeynum          // a: keynumidx, b: firstkey, c: keystep
)

// keySpec is one of a command's key specs (Redis 7's keySpec). begin_search
// is by index when index > 0, by keyword when keyword != "", else unknown.
type keySpec struct {
	notes     string
	flags     string // "RW update", ...
	index     int
	keyword   string
	startFrom int
	find      keyFind
	a, b, c   int
}

// docArg is one argument of COMMAND DOCS.
type docArg struct {
	name, typ       string
	display         string
	keySpec         int // key spec index + 1; 0: not a key
	token           string
	summary, since  string
	deprecatedSince string
	flags           string // "optional multiple multiple_token"
	args            []docArg
}

// docFor returns cmd's metadata: Redis's when the command exists in Redis,
// else derived from the table entry.
func docFor(cmd *command) *commandDoc {
	if d := redisCommandDocs[cmd.fullName()]; d != nil {
		return d
	}
	d := &commandDoc{arity: cmd.arity, firstKey: cmd.firstKey, lastKey: cmd.lastKey, keyStep: cmd.keyStep,
		summary: cmd.summary, since: cmd.since, group: cmd.group}
	var flags []string
	for _, f := range flagNames {
		if cmd.flags&f.f != 0 {
			flags = append(flags, f.name)
		}
	}
	if cmd.flags&flagNoMulti != 0 {
		flags = append(flags, "no_multi")
	}
	d.flags = strings.Join(flags, " ")
	d.acl = derivedACL(cmd)
	if cmd.firstKey > 0 {
		ks := keySpec{flags: "RO access", index: cmd.firstKey, find: keysRange, a: cmd.lastKey, b: max(cmd.keyStep, 1)}
		if cmd.flags&flagWrite != 0 {
			ks.flags = "RW update"
		}
		if cmd.lastKey >= 0 {
			ks.a = cmd.lastKey - cmd.firstKey
		}
		d.keySpecs = []keySpec{ks}
	}
	return d
}

// aclCategories are Redis's ACL categories, in the order it lists them.
var aclCategories = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting"}

// derivedACL gives a command without Redis metadata the categories Redis
// would: its group's, plus those its flags imply (setImplicitACLCategories).
func derivedACL(cmd *command) string {
	has := map[string]bool{}
	switch cmd.group {
	case "generic":
		has["keyspace"] = true
	case "stream":
		has["stream"] = true
	case "pubsub":
		has["pubsub"] = true
	case "connection":
		has["connection"] = true
	case "transactions":
		has["transaction"] = true
	}
	f := cmd.flags
	has["write"] = has["write"] || f&flagWrite != 0
	has["read"] = has["read"] || f&flagReadonly != 0
	has["admin"] = f&flagAdmin != 0
	has["dangerous"] = has["dangerous"] || f&flagAdmin != 0
	has["pubsub"] = has["pubsub"] || f&flagPubSub != 0
	has["fast"] = f&flagFast != 0
	has["blocking"] = f&flagBlocking != 0
	has["slow"] = !has["fast"]
	var out []string
	for _, c := range aclCategories {
		if has[c] {
			out = append(out, "@"+c)
		}
	}
	return strings.Join(out, " ")
}

// sortedCommands returns a command table's entries by name.
func sortedCommands(table map[string]*command) []*command {
	out := make([]*command, 0, len(table))
	for _, cmd := range table {
		out = append(out, cmd)
	}
	slices.SortFunc(out, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return out
}

// commandByFullName finds "name" or "container|sub", case-insensitively,
// as COMMAND INFO and COMMAND DOCS name commands.
func commandByFullName(name []byte) *command {
	parent, sub, isSub := strings.Cut(string(name), "|")
	cmd := lookup(commandTable, []byte(parent))
	if cmd == nil || !isSub {
		return cmd
	}
	if cmd.subs == nil || strings.Contains(sub, "|") {
		return nil
	}
	return lookup(cmd.subs, []byte(sub))
}

func cmdCommand(c *conn, _ [][]byte) {
	cmds := sortedCommands(commandTable)
	c.w.Array(len(cmds))
	for _, cmd := range cmds {
		c.writeCommandInfo(cmd)
	}
}

func cmdCommandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := commandByFullName(name); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.w.Null()
		}
	}
}

// writeSimpleSet writes space-separated words as a set of simple strings.
func (c *conn) writeSimpleSet(words string) {
	list := strings.Fields(words)
	c.w.Set(len(list))
	for _, s := range list {
		c.w.Simple(s)
	}
}

// writeCommandInfo writes one command's COMMAND INFO entry: name, arity,
// flags, first key, last key, step, ACL categories, tips, key specs,
// subcommands.
func (c *conn) writeCommandInfo(cmd *command) {
	d := docFor(cmd)
	c.w.Array(10)
	c.w.BulkString(cmd.fullName())
	c.w.Int(int64(cmd.arity))
	c.writeSimpleSet(d.flags)
	c.w.Int(int64(d.firstKey))
	c.w.Int(int64(d.lastKey))
	c.w.Int(int64(d.keyStep))
	c.writeSimpleSet(d.acl)
	c.w.Set(len(d.tips))
	for _, t := range d.tips {
		c.w.BulkString(t)
	}
	c.w.Set(len(d.keySpecs))
	for i := range d.keySpecs {
		c.writeKeySpec(&d.keySpecs[i])
	}
	if cmd.subs == nil {
		c.w.Set(0)
		return
	}
	subs := sortedCommands(cmd.subs)
	c.w.Array(len(subs))
	for _, sub := range subs {
		c.writeCommandInfo(sub)
	}
}

func (c *conn) writeKeySpec(ks *keySpec) {
	if ks.notes != "" {
		c.w.Map(4)
		c.w.BulkString("notes")
		c.w.BulkString(ks.notes)
	} else {
		c.w.Map(3)
	}
	c.w.BulkString("flags")
	c.writeSimpleSet(ks.flags)
	c.w.BulkString("begin_search")
	c.w.Map(2)
	c.w.BulkString("type")
	switch {
	case ks.index > 0:
		c.w.BulkString("index")
		c.w.BulkString("spec")
		c.w.Map(1)
		c.w.BulkString("index")
		c.w.Int(int64(ks.index))
	case ks.keyword != "":
		c.w.BulkString("keyword")
		c.w.BulkString("spec")
		c.w.Map(2)
		c.w.BulkString("keyword")
		c.w.BulkString(ks.keyword)
		c.w.BulkString("startfrom")
		c.w.Int(int64(ks.startFrom))
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.Map(0)
	}
	c.w.BulkString("find_keys")
	c.w.Map(2)
	c.w.BulkString("type")
	names := [3]string{"lastkey", "keystep", "limit"}
	switch ks.find {
	case keysRange:
		c.w.BulkString("range")
	case keysKeynum:
		c.w.BulkString("keynum")
		names = [3]string{"keynumidx", "firstkey", "keystep"}
	default:
		c.w.BulkString("unknown")
		c.w.BulkString("spec")
		c.w.Map(0)
		return
	}
	c.w.BulkString("spec")
	c.w.Map(3)
	for i, v := range [3]int{ks.a, ks.b, ks.c} {
		c.w.BulkString(names[i])
		c.w.Int(int64(v))
	}
}

func cmdCommandDocs(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmds := sortedCommands(commandTable)
		c.w.Map(len(cmds))
		for _, cmd := range cmds {
			c.w.BulkString(cmd.fullName())
			c.writeCommandDocs(cmd)
		}
		return
	}
	var found []*command
	for _, name := range args[2:] {
		if cmd := commandByFullName(name); cmd != nil {
			found = append(found, cmd)
		}
	}
	c.w.Map(len(found))
	for _, cmd := range found {
		c.w.BulkString(cmd.fullName())
		c.writeCommandDocs(cmd)
	}
}

// writeCommandDocs writes one command's COMMAND DOCS map (addReplyCommandDocs).
func (c *conn) writeCommandDocs(cmd *command) {
	d := docFor(cmd)
	n := 1 // group
	for _, s := range []string{d.summary, d.since, d.complexity, d.docFlags, d.deprecatedSince, d.replacedBy} {
		if s != "" {
			n++
		}
	}
	if len(d.history) > 0 {
		n++
	}
	if len(d.args) > 0 {
		n++
	}
	if cmd.subs != nil {
		n++
	}
	c.w.Map(n)
	pair := func(k, v string) {
		if v != "" {
			c.w.BulkString(k)
			c.w.BulkString(v)
		}
	}
	pair("summary", d.summary)
	pair("since", d.since)
	pair("group", d.group)
	pair("complexity", d.complexity)
	if d.docFlags != "" {
		c.w.BulkString("doc_flags")
		c.writeSimpleSet(d.docFlags)
	}
	pair("deprecated_since", d.deprecatedSince)
	pair("replaced_by", d.replacedBy)
	if len(d.history) > 0 {
		c.w.BulkString("history")
		c.w.Set(len(d.history))
		for _, h := range d.history {
			c.w.Array(2)
			c.w.BulkString(h[0])
			c.w.BulkString(h[1])
		}
	}
	if len(d.args) > 0 {
		c.w.BulkString("arguments")
		c.writeDocArgs(d.args)
	}
	if cmd.subs != nil {
		c.w.BulkString("subcommands")
		subs := sortedCommands(cmd.subs)
		c.w.Map(len(subs))
		for _, sub := range subs {
			c.w.BulkString(sub.fullName())
			c.writeCommandDocs(sub)
		}
	}
}

// writeDocArgs writes COMMAND DOCS arguments (addReplyCommandArgList).
func (c *conn) writeDocArgs(args []docArg) {
	c.w.Array(len(args))
	for i := range args {
		a := &args[i]
		nested := a.typ == "oneof" || a.typ == "block"
		n := 2
		for _, present := range []bool{!nested, a.keySpec > 0, a.token != "", a.summary != "", a.since != "",
			a.deprecatedSince != "", a.flags != "", nested} {
			if present {
				n++
			}
		}
		c.w.Map(n)
		c.w.BulkString("name")
		c.w.BulkString(a.name)
		c.w.BulkString("type")
		c.w.BulkString(a.typ)
		if !nested {
			c.w.BulkString("display_text")
			if a.display != "" {
				c.w.BulkString(a.display)
			} else {
				c.w.BulkString(a.name)
			}
		}
		if a.keySpec > 0 {
			c.w.BulkString("key_spec_index")
			c.w.Int(int64(a.keySpec - 1))
		}
		for _, kv := range [][2]string{{"token", a.token}, {"summary", a.summary}, {"since", a.since}, {"deprecated_since", a.deprecatedSince}} {
			if kv[1] != "" {
				c.w.BulkString(kv[0])
				c.w.BulkString(kv[1])
			}
		}
		if a.flags != "" {
			c.w.BulkString("flags")
			c.writeSimpleSet(a.flags)
		}
		if nested {
			c.w.BulkString("arguments")
			c.writeDocArgs(a.args)
		}
	}
}

// cmdCommandList serves COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p].
func cmdCommandList(c *conn, args [][]byte) {
	var filter func(cmd *command) bool
	for i := 2; i < len(args); i++ {
		if !eq(args[i], "filterby") || len(args)-1-i != 2 {
			c.writeError(errSyntax)
			return
		}
		kind, arg := args[i+1], args[i+2]
		switch {
		case eq(kind, "module"):
			filter = func(*command) bool { return false } // rewind loads no modules
		case eq(kind, "aclcat"):
			cat := "@" + strings.ToLower(string(arg))
			filter = func(cmd *command) bool { return slices.Contains(strings.Fields(docFor(cmd).acl), cat) }
		case eq(kind, "pattern"):
			pat := []byte(strings.ToLower(string(arg)))
			filter = func(cmd *command) bool { return broker.MatchPattern(pat, []byte(cmd.fullName())) }
		default:
			c.writeError(errSyntax)
			return
		}
		i += 2
	}
	var names []string
	for _, cmd := range sortedCommands(commandTable) {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.fullName())
		}
		for _, sub := range sortedCommands(cmd.subs) {
			if filter == nil || filter(sub) {
				names = append(names, sub.fullName())
			}
		}
	}
	c.w.Array(len(names))
	for _, n := range names {
		c.w.BulkString(n)
	}
}

// commandGetKeys serves COMMAND GETKEYS and GETKEYSANDFLAGS, finding keys
// with the command's key specs as Redis does (getKeysUsingKeySpecs).
func (c *conn) commandGetKeys(args [][]byte, withFlags bool) {
	target := args[2:]
	cmd := lookup(commandTable, target[0])
	if cmd != nil && cmd.subs != nil && len(target) > 1 {
		cmd = lookup(cmd.subs, target[1])
	}
	if cmd == nil {
		c.w.Error(replyInvalidCommand)
		return
	}
	d := docFor(cmd)
	hasKeys := false
	for _, ks := range d.keySpecs {
		hasKeys = hasKeys || !slices.Contains(strings.Fields(ks.flags), "not_key")
	}
	if !hasKeys {
		c.w.Error(replyNoKeyArgs)
		return
	}
	if !arityOK(cmd.arity, len(target)) {
		c.w.Error(replyGetKeysArity)
		return
	}
	type keyRef struct {
		pos   int
		flags string
	}
	var keys []keyRef
	for _, ks := range d.keySpecs {
		if slices.Contains(strings.Fields(ks.flags), "not_key") {
			continue
		}
		first, last, step, ok := ks.keyRange(target)
		if !ok {
			keys = nil
			break
		}
		for i := first; i <= last && i < len(target); i += step {
			keys = append(keys, keyRef{i, ks.flags})
		}
		if slices.Contains(strings.Fields(ks.flags), "incomplete") {
			keys = nil
			break
		}
	}
	if len(keys) == 0 {
		if slices.Contains(strings.Fields(d.flags), "no_mandatory_keys") {
			c.w.Array(0)
			return
		}
		c.w.Error(replyGetKeysArgs)
		return
	}
	c.w.Array(len(keys))
	for _, k := range keys {
		if withFlags {
			c.w.Array(2)
			c.w.Bulk(target[k.pos])
			c.writeSimpleSet(k.flags)
		} else {
			c.w.Bulk(target[k.pos])
		}
	}
}

// keyRange applies a key spec to a command's arguments (args[0] is the
// command name). ok is false when the spec cannot be applied.
func (ks *keySpec) keyRange(args [][]byte) (first, last, step int, ok bool) {
	n := len(args)
	switch {
	case ks.index > 0:
		first = ks.index
	case ks.keyword != "":
		start, end := ks.startFrom, n-1
		if ks.startFrom <= 0 {
			start, end = n+ks.startFrom, 1
		}
		for i := start; i != end; { // as Redis, args[end] is never a keyword
			if i >= n || i < 1 {
				break
			}
			if eq(args[i], ks.keyword) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return 0, 0, 0, false
		}
	default:
		return 0, 0, 0, false
	}
	switch ks.find {
	case keysRange:
		step = ks.b
		switch {
		case ks.a >= 0:
			last = first + ks.a
		case ks.c == 0:
			last = n + ks.a
		default:
			last = first + ((n-first)/ks.c + ks.a)
		}
	case keysKeynum:
		step = ks.c
		if first+ks.a >= n {
			return 0, 0, 0, false
		}
		num, ok := parseInt64(args[first+ks.a])
		if !ok || num < 0 {
			return 0, 0, 0, false
		}
		first += ks.b
		last = first + int(num) - 1
	default:
		return 0, 0, 0, false
	}
	if last >= n || last < first || first >= n || step < 1 {
		return 0, 0, 0, false
	}
	return first, last, step, true
}

func cmdCommandHelp(c *conn, _ [][]byte) {
	c.helpReply("COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.")
}
