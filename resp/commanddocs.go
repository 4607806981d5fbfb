package resp

// redisCommandDocs is Redis 7.2.6's metadata (src/commands.def) for the
// Redis commands rewind implements or is about to (consumer groups).
// Extracted mechanically; regenerate rather than edit by hand. Flags and
// ACL categories are what Redis reports after adding the implicit ones
// (movablekeys, @read/@write/@fast/@slow/...); keySpec indexes in docArg
// are +1.
var redisCommandDocs = map[string]*commandDoc{
	"auth": {
		arity: -2, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Authenticates the connection.", since: "1.0.0", group: "connection",
		complexity: "O(N) where N is the number of passwords defined for the user",
		history: [][2]string{
			{"6.0.0", "Added ACL style (username and password)."},
		},
		args: []docArg{
			{name: "username", typ: "string", since: "6.0.0", flags: "optional"},
			{name: "password", typ: "string"},
		},
	},
	"echo": {
		arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		summary: "Returns the given string.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "message", typ: "string"},
		},
	},
	"hello": {
		arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Handshakes with the Redis server.", since: "6.0.0", group: "connection",
		complexity: "O(1)",
		history: [][2]string{
			{"6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."},
		},
		args: []docArg{
			{name: "arguments", typ: "block", flags: "optional", args: []docArg{
				{name: "protover", typ: "integer"},
				{name: "auth", typ: "block", token: "AUTH", flags: "optional", args: []docArg{
					{name: "username", typ: "string"},
					{name: "password", typ: "string"},
				}},
				{name: "clientname", typ: "string", token: "SETNAME", flags: "optional"},
			}},
		},
	},
	"ping": {
		arity: -1, flags: "fast", acl: "@fast @connection",
		summary: "Returns the server's liveliness response.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "message", typ: "string", flags: "optional"},
		},
	},
	"quit": {
		arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Closes the connection.", since: "1.0.0", group: "connection",
		complexity:      "O(1)",
		docFlags:        "deprecated",
		deprecatedSince: "7.2.0",
		replacedBy:      "just closing the connection",
	},
	"reset": {
		arity: 1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		summary: "Resets the connection.", since: "6.2.0", group: "connection",
		complexity: "O(1)",
	},
	"select": {
		arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		summary: "Changes the selected database.", since: "1.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "index", typ: "integer"},
		},
	},
	"client": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for client connection commands.", since: "2.4.0", group: "connection",
		complexity: "Depends on subcommand.",
	},
	"client|getname": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns the name of the connection.", since: "2.6.9", group: "connection",
		complexity: "O(1)",
	},
	"client|help": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "connection",
		complexity: "O(1)",
	},
	"client|id": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns the unique client ID of the connection.", since: "5.0.0", group: "connection",
		complexity: "O(1)",
	},
	"client|info": {
		arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Returns information about the connection.", since: "6.2.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"client|kill": {
		arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Terminates open connections.", since: "2.4.0", group: "connection",
		complexity: "O(N) where N is the number of client connections",
		history: [][2]string{
			{"2.8.12", "Added new filter format."},
			{"2.8.12", "`ID` option."},
			{"3.2.0", "Added `master` type in for `TYPE` option."},
			{"5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."},
			{"6.2.0", "`LADDR` option."},
		},
		args: []docArg{
			{name: "filter", typ: "oneof", args: []docArg{
				{name: "old-format", typ: "string", display: "ip:port", deprecatedSince: "2.8.12"},
				{name: "new-format", typ: "oneof", flags: "multiple", args: []docArg{
					{name: "client-id", typ: "integer", token: "ID", since: "2.8.12", flags: "optional"},
					{name: "client-type", typ: "oneof", token: "TYPE", since: "2.8.12", flags: "optional", args: []docArg{
						{name: "normal", typ: "pure-token", token: "NORMAL"},
						{name: "master", typ: "pure-token", token: "MASTER", since: "3.2.0"},
						{name: "slave", typ: "pure-token", token: "SLAVE"},
						{name: "replica", typ: "pure-token", token: "REPLICA", since: "5.0.0"},
						{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
					}},
					{name: "username", typ: "string", token: "USER", flags: "optional"},
					{name: "addr", typ: "string", display: "ip:port", token: "ADDR", flags: "optional"},
					{name: "laddr", typ: "string", display: "ip:port", token: "LADDR", since: "6.2.0", flags: "optional"},
					{name: "skipme", typ: "oneof", token: "SKIPME", flags: "optional", args: []docArg{
						{name: "yes", typ: "pure-token", token: "YES"},
						{name: "no", typ: "pure-token", token: "NO"},
					}},
				}},
			}},
		},
	},
	"client|list": {
		arity: -2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Lists open connections.", since: "2.4.0", group: "connection",
		complexity: "O(N) where N is the number of client connections",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.12", "Added unique client `id` field."},
			{"5.0.0", "Added optional `TYPE` filter."},
			{"6.0.0", "Added `user` field."},
			{"6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."},
			{"7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."},
			{"7.0.3", "Added `ssub` field."},
		},
		args: []docArg{
			{name: "client-type", typ: "oneof", token: "TYPE", since: "5.0.0", flags: "optional", args: []docArg{
				{name: "normal", typ: "pure-token", token: "NORMAL"},
				{name: "master", typ: "pure-token", token: "MASTER"},
				{name: "replica", typ: "pure-token", token: "REPLICA"},
				{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
			}},
			{name: "client-id", typ: "integer", token: "ID", since: "6.2.0", flags: "optional multiple"},
		},
	},
	"client|no-evict": {
		arity: 3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		summary: "Sets the client eviction mode of the connection.", since: "7.0.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "enabled", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	"client|no-touch": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", since: "7.2.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "enabled", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	"client|reply": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Instructs the server whether to reply to commands.", since: "3.2.0", group: "connection",
		complexity: "O(1)",
		args: []docArg{
			{name: "action", typ: "oneof", args: []docArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
				{name: "skip", typ: "pure-token", token: "SKIP"},
			}},
		},
	},
	"client|setinfo": {
		arity: 4, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Sets information specific to the client or connection.", since: "7.2.0", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "attr", typ: "oneof", args: []docArg{
				{name: "libname", typ: "string", token: "LIB-NAME"},
				{name: "libver", typ: "string", token: "LIB-VER"},
			}},
		},
	},
	"client|setname": {
		arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		summary: "Sets the connection name.", since: "2.6.9", group: "connection",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		args: []docArg{
			{name: "connection-name", typ: "string"},
		},
	},
	"publish": {
		arity: 3, flags: "pubsub loading stale fast", acl: "@pubsub @fast",
		summary: "Posts a message to a channel.", since: "2.0.0", group: "pubsub",
		complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
		args: []docArg{
			{name: "channel", typ: "string"},
			{name: "message", typ: "string"},
		},
	},
	"spublish": {
		arity: 3, flags: "pubsub loading stale fast", acl: "@pubsub @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Post a message to a shard channel", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string"},
			{name: "message", typ: "string"},
		},
	},
	"subscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Listens for messages published to channels.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of channels to subscribe to.",
		args: []docArg{
			{name: "channel", typ: "string", flags: "multiple"},
		},
	},
	"psubscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Listens for messages published to channels that match one or more patterns.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of patterns to subscribe to.",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "multiple"},
		},
	},
	"ssubscribe": {
		arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Listens for messages published to shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of shard channels to subscribe to.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "multiple"},
		},
	},
	"unsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Stops listening to messages posted to channels.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of channels to unsubscribe.",
		args: []docArg{
			{name: "channel", typ: "string", flags: "optional multiple"},
		},
	},
	"punsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		summary: "Stops listening to messages published to channels that match one or more patterns.", since: "2.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of patterns to unsubscribe.",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional multiple"},
		},
	},
	"sunsubscribe": {
		arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Stops listening to messages posted to shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of shard channels to unsubscribe.",
		keySpecs: []keySpec{
			{flags: "not_key", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for Pub/Sub commands.", since: "2.8.0", group: "pubsub",
		complexity: "Depends on subcommand.",
	},
	"pubsub|channels": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the active channels.", since: "2.8.0", group: "pubsub",
		complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional"},
		},
	},
	"pubsub|shardchannels": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the active shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
		args: []docArg{
			{name: "pattern", typ: "pattern", flags: "optional"},
		},
	},
	"pubsub|numsub": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns a count of subscribers to channels.", since: "2.8.0", group: "pubsub",
		complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
		args: []docArg{
			{name: "channel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub|shardnumsub": {
		arity: -2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns the count of subscribers of shard channels.", since: "7.0.0", group: "pubsub",
		complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
		args: []docArg{
			{name: "shardchannel", typ: "string", flags: "optional multiple"},
		},
	},
	"pubsub|numpat": {
		arity: 2, flags: "pubsub loading stale", acl: "@pubsub @slow",
		summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0", group: "pubsub",
		complexity: "O(1)",
	},
	"pubsub|help": {
		arity: 2, flags: "loading stale", acl: "@slow",
		summary: "Returns helpful text about the different subcommands.", since: "6.2.0", group: "pubsub",
		complexity: "O(1)",
	},
	"multi": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Starts a transaction.", since: "1.2.0", group: "transactions",
		complexity: "O(1)",
	},
	"exec": {
		arity: 1, flags: "noscript loading stale skip_slowlog", acl: "@slow @transaction",
		summary: "Executes all commands in a transaction.", since: "1.2.0", group: "transactions",
		complexity: "Depends on commands in the transaction",
	},
	"discard": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Discards a transaction.", since: "2.0.0", group: "transactions",
		complexity: "O(N), when N is the number of queued commands",
	},
	"watch": {
		arity: -2, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Monitors changes to keys to determine the execution of a transaction.", since: "2.2.0", group: "transactions",
		complexity: "O(1) for every key.",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"unwatch": {
		arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		summary: "Forgets about watched keys of a transaction.", since: "2.2.0", group: "transactions",
		complexity: "O(1)",
	},
	"xadd": {
		arity: -5, flags: "write denyoom fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Appends a new message to a stream. Creates the key if it doesn't exist.", since: "5.0.0", group: "stream",
		complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."},
			{"7.0.0", "Added support for the `<ms>-*` explicit ID form."},
		},
		keySpecs: []keySpec{
			{notes: "UPDATE instead of INSERT because of the optional trimming feature", flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "nomkstream", typ: "pure-token", token: "NOMKSTREAM", since: "6.2.0", flags: "optional"},
			{name: "trim", typ: "block", flags: "optional", args: []docArg{
				{name: "strategy", typ: "oneof", args: []docArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: "optional", args: []docArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", since: "6.2.0", flags: "optional"},
			}},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "auto-id", typ: "pure-token", token: "*"},
				{name: "id", typ: "string"},
			}},
			{name: "data", typ: "block", flags: "multiple", args: []docArg{
				{name: "field", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	"xrange": {
		arity: -4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the messages from a stream within a range of IDs.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
		history: [][2]string{
			{"6.2.0", "Added exclusive ranges."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "start", typ: "string"},
			{name: "end", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
		},
	},
	"xrevrange": {
		arity: -4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the messages from a stream within a range of IDs in reverse order.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
		history: [][2]string{
			{"6.2.0", "Added exclusive ranges."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "end", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
		},
	},
	"xlen": {
		arity: 2, flags: "readonly fast", acl: "@read @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Return the number of messages in a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"xread": {
		arity: -4, flags: "readonly blocking movablekeys", acl: "@read @stream @slow @blocking",
		summary: "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", since: "5.0.0", group: "stream",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 1, find: keysRange, a: -1, b: 1, c: 2},
		},
		args: []docArg{
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: "optional"},
			{name: "streams", typ: "block", token: "STREAMS", args: []docArg{
				{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
				{name: "id", typ: "string", flags: "multiple"},
			}},
		},
	},
	"xdel": {
		arity: -3, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the number of messages after removing them from a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "id", typ: "string", flags: "multiple"},
		},
	},
	"xtrim": {
		arity: -4, flags: "write", acl: "@write @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Deletes messages from the beginning of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."},
		},
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "trim", typ: "block", args: []docArg{
				{name: "strategy", typ: "oneof", args: []docArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: "optional", args: []docArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", since: "6.2.0", flags: "optional"},
			}},
		},
	},
	"xsetid": {
		arity: -3, flags: "write denyoom fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "An internal command for replicating stream values.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."},
		},
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "last-id", typ: "string"},
			{name: "entries-added", typ: "integer", token: "ENTRIESADDED", since: "7.0.0", flags: "optional"},
			{name: "max-deleted-id", typ: "string", token: "MAXDELETEDID", since: "7.0.0", flags: "optional"},
		},
	},
	"xinfo": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for stream introspection commands.", since: "5.0.0", group: "stream",
		complexity: "Depends on subcommand.",
	},
	"xinfo|stream": {
		arity: -3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns information about a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"6.0.0", "Added the `FULL` modifier."},
			{"7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields"},
			{"7.2.0", "Added the `active-time` field, and changed the meaning of `seen-time`."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "full-block", typ: "block", flags: "optional", args: []docArg{
				{name: "full", typ: "pure-token", token: "FULL"},
				{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			}},
		},
	},
	"xinfo|groups": {
		arity: 3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns a list of the consumer groups of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries-read` and `lag` fields"},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"xinfo|consumers": {
		arity: 4, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Returns a list of the consumers in a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"7.2.0", "Added the `inactive` field."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
		},
	},
	"xinfo|help": {
		arity: 2, flags: "loading stale", acl: "@stream @slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
	},
	"xgroup": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for consumer groups commands.", since: "5.0.0", group: "stream",
		complexity: "Depends on subcommand.",
	},
	"xgroup|create": {
		arity: -5, flags: "write denyoom", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Creates a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `entries_read` named argument."},
		},
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "mkstream", typ: "pure-token", token: "MKSTREAM", flags: "optional"},
			{name: "entries-read", typ: "integer", token: "ENTRIESREAD", flags: "optional"},
		},
	},
	"xgroup|createconsumer": {
		arity: 5, flags: "write denyoom", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Creates a consumer in a consumer group.", since: "6.2.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	"xgroup|delconsumer": {
		arity: 5, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Deletes a consumer from a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	"xgroup|destroy": {
		arity: 4, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Destroys a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
		},
	},
	"xgroup|setid": {
		arity: -5, flags: "write", acl: "@write @stream @slow",
		firstKey: 2, lastKey: 2, keyStep: 1,
		summary: "Sets the last-delivered ID of a consumer group.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
		history: [][2]string{
			{"7.0.0", "Added the optional `entries_read` argument."},
		},
		keySpecs: []keySpec{
			{flags: "RW update", index: 2, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []docArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "entriesread", typ: "integer", display: "entries-read", token: "ENTRIESREAD", flags: "optional"},
		},
	},
	"xgroup|help": {
		arity: 2, flags: "loading stale", acl: "@stream @slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "stream",
		complexity: "O(1)",
	},
	"xreadgroup": {
		arity: -7, flags: "write blocking movablekeys", acl: "@write @stream @slow @blocking",
		summary: "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.", since: "5.0.0", group: "stream",
		complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 4, find: keysRange, a: -1, b: 1, c: 2},
		},
		args: []docArg{
			{name: "group-block", typ: "block", token: "GROUP", args: []docArg{
				{name: "group", typ: "string"},
				{name: "consumer", typ: "string"},
			}},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: "optional"},
			{name: "noack", typ: "pure-token", token: "NOACK", flags: "optional"},
			{name: "streams", typ: "block", token: "STREAMS", args: []docArg{
				{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
				{name: "id", typ: "string", flags: "multiple"},
			}},
		},
	},
	"xack": {
		arity: -4, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", since: "5.0.0", group: "stream",
		complexity: "O(1) for each message ID processed.",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "id", typ: "string", flags: "multiple"},
		},
	},
	"xpending": {
		arity: -3, flags: "readonly", acl: "@read @stream @slow",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the information and entries from a stream consumer group's pending entries list.", since: "5.0.0", group: "stream",
		complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"6.2.0", "Added the `IDLE` option and exclusive range intervals."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "filters", typ: "block", flags: "optional", args: []docArg{
				{name: "min-idle-time", typ: "integer", token: "IDLE", since: "6.2.0", flags: "optional"},
				{name: "start", typ: "string"},
				{name: "end", typ: "string"},
				{name: "count", typ: "integer"},
				{name: "consumer", typ: "string", flags: "optional"},
			}},
		},
	},
	"xclaim": {
		arity: -6, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.", since: "5.0.0", group: "stream",
		complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
		tips:       []string{"nondeterministic_output"},
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "id", typ: "string", flags: "multiple"},
			{name: "ms", typ: "integer", token: "IDLE", flags: "optional"},
			{name: "unix-time-milliseconds", typ: "unix-time", token: "TIME", flags: "optional"},
			{name: "count", typ: "integer", token: "RETRYCOUNT", flags: "optional"},
			{name: "force", typ: "pure-token", token: "FORCE", flags: "optional"},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: "optional"},
			{name: "lastid", typ: "string", token: "LASTID", flags: "optional"},
		},
	},
	"xautoclaim": {
		arity: -6, flags: "write fast", acl: "@write @stream @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.", since: "6.2.0", group: "stream",
		complexity: "O(1) if COUNT is small.",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"},
		},
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: "optional"},
		},
	},
	"del": {
		arity: -2, flags: "write", acl: "@keyspace @write @slow",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Deletes one or more keys.", since: "1.0.0", group: "generic",
		complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"unlink": {
		arity: -2, flags: "write fast", acl: "@keyspace @write @fast",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Asynchronously deletes one or more keys.", since: "4.0.0", group: "generic",
		complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"exists": {
		arity: -2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: -1, keyStep: 1,
		summary: "Determines whether one or more keys exist.", since: "1.0.0", group: "generic",
		complexity: "O(N) where N is the number of keys to check.",
		tips:       []string{"request_policy:multi_shard", "response_policy:agg_sum"},
		history: [][2]string{
			{"3.0.3", "Accepts multiple `key` arguments."},
		},
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: -1, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1, flags: "multiple"},
		},
	},
	"type": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Determines the type of value stored at a key.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"keys": {
		arity: 2, flags: "readonly", acl: "@keyspace @read @slow @dangerous",
		summary: "Returns all key names that match a pattern.", since: "1.0.0", group: "generic",
		complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
		tips:       []string{"request_policy:all_shards", "nondeterministic_output_order"},
		args: []docArg{
			{name: "pattern", typ: "pattern"},
		},
	},
	"scan": {
		arity: -2, flags: "readonly", acl: "@keyspace @read @slow",
		summary: "Iterates over the key names in the database.", since: "2.8.0", group: "generic",
		complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
		tips:       []string{"nondeterministic_output", "request_policy:special", "response_policy:special"},
		history: [][2]string{
			{"6.0.0", "Added the `TYPE` subcommand."},
		},
		args: []docArg{
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: "optional"},
			{name: "count", typ: "integer", token: "COUNT", flags: "optional"},
			{name: "type", typ: "string", token: "TYPE", since: "6.0.0", flags: "optional"},
		},
	},
	"randomkey": {
		arity: 1, flags: "readonly", acl: "@keyspace @read @slow",
		summary: "Returns a random key name from the database.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:special", "nondeterministic_output"},
	},
	"ttl": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the expiration time in seconds of a key.", since: "1.0.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.0", "Added the -2 reply."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"pttl": {
		arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		firstKey: 1, lastKey: 1, keyStep: 1,
		summary: "Returns the expiration time in milliseconds of a key.", since: "2.6.0", group: "generic",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
		history: [][2]string{
			{"2.8.0", "Added the -2 reply."},
		},
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: keysRange, a: 0, b: 1, c: 0},
		},
		args: []docArg{
			{name: "key", typ: "key", keySpec: 1},
		},
	},
	"command": {
		arity: -1, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns detailed information about all commands.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the total number of Redis commands",
		tips:       []string{"nondeterministic_output_order"},
	},
	"command|count": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns a count of commands.", since: "2.8.13", group: "server",
		complexity: "O(1)",
	},
	"command|docs": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns documentary information about one, multiple or all commands.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the number of commands to look up",
		tips:       []string{"nondeterministic_output_order"},
		args: []docArg{
			{name: "command-name", typ: "string", flags: "optional multiple"},
		},
	},
	"command|getkeys": {
		arity: -3, flags: "loading stale", acl: "@slow @connection",
		summary: "Extracts the key names from an arbitrary command.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the number of arguments to the command",
		args: []docArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: "optional multiple"},
		},
	},
	"command|getkeysandflags": {
		arity: -3, flags: "loading stale", acl: "@slow @connection",
		summary: "Extracts the key names and access flags for an arbitrary command.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the number of arguments to the command",
		args: []docArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: "optional multiple"},
		},
	},
	"command|help": {
		arity: 2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "server",
		complexity: "O(1)",
	},
	"command|info": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns information about one, multiple or all commands.", since: "2.8.13", group: "server",
		complexity: "O(N) where N is the number of commands to look up",
		tips:       []string{"nondeterministic_output_order"},
		history: [][2]string{
			{"7.0.0", "Allowed to be called with no argument to get info on all commands."},
		},
		args: []docArg{
			{name: "command-name", typ: "string", flags: "optional multiple"},
		},
	},
	"command|list": {
		arity: -2, flags: "loading stale", acl: "@slow @connection",
		summary: "Returns a list of command names.", since: "7.0.0", group: "server",
		complexity: "O(N) where N is the total number of Redis commands",
		tips:       []string{"nondeterministic_output_order"},
		args: []docArg{
			{name: "filterby", typ: "oneof", token: "FILTERBY", flags: "optional", args: []docArg{
				{name: "module-name", typ: "string", token: "MODULE"},
				{name: "category", typ: "string", token: "ACLCAT"},
				{name: "pattern", typ: "pattern", token: "PATTERN"},
			}},
		},
	},
	"info": {
		arity: -1, flags: "loading stale", acl: "@slow @dangerous",
		summary: "Returns information and statistics about the server.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output", "request_policy:all_shards", "response_policy:special"},
		history: [][2]string{
			{"7.0.0", "Added support for taking multiple section arguments."},
		},
		args: []docArg{
			{name: "section", typ: "string", flags: "optional multiple"},
		},
	},
	"config": {
		arity: -2, flags: "", acl: "@slow",
		summary: "A container for server configuration commands.", since: "2.0.0", group: "server",
		complexity: "Depends on subcommand.",
	},
	"config|get": {
		arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Returns the effective values of configuration parameters.", since: "2.0.0", group: "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		history: [][2]string{
			{"7.0.0", "Added the ability to pass multiple pattern parameters in one call"},
		},
		args: []docArg{
			{name: "parameter", typ: "string", flags: "multiple"},
		},
	},
	"config|set": {
		arity: -4, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Sets configuration parameters in-flight.", since: "2.0.0", group: "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
		history: [][2]string{
			{"7.0.0", "Added the ability to set multiple parameters in one call."},
		},
		args: []docArg{
			{name: "data", typ: "block", flags: "multiple", args: []docArg{
				{name: "parameter", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	"config|resetstat": {
		arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Resets the server's statistics.", since: "2.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
	},
	"config|rewrite": {
		arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		summary: "Persists the effective configuration to file.", since: "2.8.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_nodes", "response_policy:all_succeeded"},
	},
	"config|help": {
		arity: 2, flags: "loading stale", acl: "@slow",
		summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "server",
		complexity: "O(1)",
	},
	"dbsize": {
		arity: 1, flags: "readonly fast", acl: "@keyspace @read @fast",
		summary: "Returns the number of keys in the database.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"request_policy:all_shards", "response_policy:agg_sum"},
	},
	"time": {
		arity: 1, flags: "loading stale fast", acl: "@fast",
		summary: "Returns the server time.", since: "2.6.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"lastsave": {
		arity: 1, flags: "loading stale fast", acl: "@admin @fast @dangerous",
		summary: "Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		tips:       []string{"nondeterministic_output"},
	},
	"save": {
		arity: 1, flags: "admin noscript no_async_loading no_multi", acl: "@admin @slow @dangerous",
		summary: "Synchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the total number of keys in all databases",
	},
	"bgsave": {
		arity: -1, flags: "admin noscript no_async_loading", acl: "@admin @slow @dangerous",
		summary: "Asynchronously saves the database(s) to disk.", since: "1.0.0", group: "server",
		complexity: "O(1)",
		history: [][2]string{
			{"3.2.2", "Added the `SCHEDULE` option."},
		},
		args: []docArg{
			{name: "schedule", typ: "pure-token", token: "SCHEDULE", since: "3.2.2", flags: "optional"},
		},
	},
	"shutdown": {
		arity: -1, flags: "admin noscript loading stale no_multi allow_busy", acl: "@admin @slow @dangerous",
		summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", since: "1.0.0", group: "server",
		complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
		history: [][2]string{
			{"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."},
		},
		args: []docArg{
			{name: "save-selector", typ: "oneof", flags: "optional", args: []docArg{
				{name: "nosave", typ: "pure-token", token: "NOSAVE"},
				{name: "save", typ: "pure-token", token: "SAVE"},
			}},
			{name: "now", typ: "pure-token", token: "NOW", since: "7.0.0", flags: "optional"},
			{name: "force", typ: "pure-token", token: "FORCE", since: "7.0.0", flags: "optional"},
			{name: "abort", typ: "pure-token", token: "ABORT", since: "7.0.0", flags: "optional"},
		},
	},
	"flushall": {
		arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous",
		summary: "Removes all keys from all databases.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the total number of keys in all databases",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		history: [][2]string{
			{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
			{"6.2.0", "Added the `SYNC` flushing mode modifier."},
		},
		args: []docArg{
			{name: "flush-type", typ: "oneof", flags: "optional", args: []docArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
	"flushdb": {
		arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous",
		summary: "Remove all keys from the current database.", since: "1.0.0", group: "server",
		complexity: "O(N) where N is the number of keys in the selected database",
		tips:       []string{"request_policy:all_shards", "response_policy:all_succeeded"},
		history: [][2]string{
			{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
			{"6.2.0", "Added the `SYNC` flushing mode modifier."},
		},
		args: []docArg{
			{name: "flush-type", typ: "oneof", flags: "optional", args: []docArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
}
