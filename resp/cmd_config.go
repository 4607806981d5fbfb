package resp

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rewind-mq/rewind/broker"
)

// CONFIG: GET, SET, RESETSTAT, REWRITE and HELP over the parameter table.

func init() {
	const ls = flagLoading | flagStale
	register(
		&command{name: "config", arity: -2, group: "server", since: "2.0.0",
			summary: "A container for server configuration commands.", subs: map[string]*command{
				"get": {name: "get", arity: -3, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Returns the effective values of configuration parameters.", run: cmdConfigGet},
				"set": {name: "set", arity: -4, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Sets configuration parameters in-flight.", run: cmdConfigSet},
				"resetstat": {name: "resetstat", arity: 2, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.0.0",
					summary: "Resets the server's statistics.", run: cmdConfigResetStat},
				"rewrite": {name: "rewrite", arity: 2, flags: flagAdmin | flagNoScript | ls, group: "server", since: "2.8.0",
					summary: "Persists the effective configuration to file.", run: func(c *conn, _ [][]byte) { c.w.Error(replyNoConfigFile) }},
				"help": {name: "help", arity: 2, flags: ls, group: "server", since: "5.0.0",
					summary: "Returns helpful text about the different subcommands.", run: cmdConfigHelp},
			}},
	)
}

// configParam is a parameter CONFIG GET reports. Most of rewind's
// configuration is fixed at start (flags of rewind serve): CONFIG SET
// changes only the parameters with a set function.
type configParam struct {
	name  string
	value func(s *Server) string
	// check validates a value for CONFIG SET and set applies it; nil:
	// the parameter is immutable.
	check func(v string) error
	set   func(s *Server, v string) error
}

func configInt(n int64) string { return strconv.FormatInt(n, 10) }

var configParams = []configParam{
	{name: "appendfsync", value: func(s *Server) string {
		if s.b.Config().UnsafeNoSync {
			return "no"
		}
		return "always"
	}},
	{name: "appendonly", value: func(*Server) string { return "yes" }},
	{name: "bind", value: func(s *Server) string { h, _ := s.listenAddr(); return h }},
	{name: "client-output-buffer-limit", value: func(s *Server) string {
		return "normal 0 0 0 slave 0 0 0 pubsub " + strconv.Itoa(s.limits.SubscriberBufferBytes) + " 0 0"
	}},
	{name: "cluster-enabled", value: func(*Server) string { return "no" }},
	{name: "databases", value: func(*Server) string { return "1" }},
	{name: "dir", value: func(s *Server) string {
		if abs, err := filepath.Abs(s.b.Config().Dir); err == nil {
			return abs
		}
		return s.b.Config().Dir
	}},
	{name: "max-channel-name-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxChannelNameBytes) }},
	{name: "max-message-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxMessageBytes) }},
	{name: "max-pattern-bytes", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxPatternBytes) }},
	{name: "maxclients", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxClients) }},
	{name: "maxmemory", value: func(*Server) string { return "0" }},
	{name: "maxmemory-clients", value: func(s *Server) string { return strconv.Itoa(s.limits.TotalSubscriberBufferBytes) }}, // rewind: bounds subscribers' output only
	{name: "maxmemory-policy", value: func(*Server) string { return "noeviction" }},
	{name: "notify-keyspace-events",
		value: func(s *Server) string { return notifyFlagsString(int(s.notifyFlags.Load())) },
		check: func(v string) error { _, err := parseNotifyFlags(v); return err },
		set: func(s *Server, v string) error {
			flags, _ := parseNotifyFlags(v)
			s.setNotifyFlags(flags)
			return nil
		}},
	{name: "port", value: func(s *Server) string { _, p := s.listenAddr(); return strconv.Itoa(p) }},
	{name: "proto-max-bulk-len", value: func(s *Server) string { return strconv.Itoa(s.limits.MaxQueryBytes) }},
	{name: "retention-max-age", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxAgeMs) }},
	{name: "retention-max-bytes", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxBytes) }},
	{name: "retention-max-len", value: func(s *Server) string { return configInt(s.b.Config().Retention.MaxLen) }},
	{name: "save", value: func(*Server) string { return "" }},
	{name: "stream-node-max-bytes",
		value: func(s *Server) string { return configInt(s.b.NodeLimits().MaxBytes) },
		check: func(v string) error { _, err := parseConfigMemory(v); return err },
		set: func(s *Server, v string) error {
			n, _ := parseConfigMemory(v)
			return s.b.SetNodeLimits(broker.NodeLimits{MaxEntries: -1, MaxBytes: n})
		}},
	{name: "stream-node-max-entries",
		value: func(s *Server) string { return configInt(s.b.NodeLimits().MaxEntries) },
		check: func(v string) error { _, err := parseConfigInt(v); return err },
		set: func(s *Server, v string) error {
			n, _ := parseConfigInt(v)
			return s.b.SetNodeLimits(broker.NodeLimits{MaxEntries: n, MaxBytes: -1})
		}},
	{name: "timeout", value: func(*Server) string { return "0" }},
}

func findConfigParam(name []byte) *configParam {
	for i := range configParams {
		if eq(name, configParams[i].name) {
			return &configParams[i]
		}
	}
	return nil
}

// cmdConfigGet serves CONFIG GET pattern [pattern ...]: a map of every
// parameter a pattern matches (case-insensitively). A name without glob
// characters is answered under the spelling it was asked with, as Redis.
func cmdConfigGet(c *conn, args [][]byte) {
	type match struct{ key, value string }
	var out []match
	seen := map[string]bool{}
	for _, a := range args[2:] {
		if !strings.ContainsAny(string(a), "[*?") {
			if p := findConfigParam(a); p != nil && !seen[p.name] {
				seen[p.name] = true
				out = append(out, match{string(a), p.value(c.s)})
			}
			continue
		}
		pat := []byte(strings.ToLower(string(a)))
		for i := range configParams {
			p := &configParams[i]
			if !seen[p.name] && broker.MatchPattern(pat, []byte(p.name)) {
				seen[p.name] = true
				out = append(out, match{p.name, p.value(c.s)})
			}
		}
	}
	c.w.Map(len(out))
	for _, m := range out {
		c.w.BulkString(m.key)
		c.w.BulkString(m.value)
	}
}

// cmdConfigSet sets the mutable parameters, and accepts setting an
// immutable one to the value it already has; any other change is refused
// as Redis refuses an immutable parameter. As in Redis, every name is
// checked first, then every value, and nothing changes unless all are
// valid.
func cmdConfigSet(c *conn, args [][]byte) {
	if len(args)%2 != 0 {
		c.writeError(errSyntax)
		return
	}
	failed := func(i int, why string) {
		c.w.Error("ERR CONFIG SET failed (possibly related to argument '" + string(args[i]) + "') - " + why)
	}
	seen := map[string]bool{}
	params := make([]*configParam, 0, len(args)/2)
	for i := 2; i < len(args); i += 2 {
		p := findConfigParam(args[i])
		switch {
		case p == nil:
			c.w.Error("ERR Unknown option or number of arguments for CONFIG SET - '" + string(args[i]) + "'")
			return
		case seen[p.name]:
			failed(i, "duplicate parameter")
			return
		case p.set == nil && !strings.EqualFold(p.value(c.s), string(args[i+1])):
			failed(i, "can't set immutable config")
			return
		}
		seen[p.name] = true
		params = append(params, p)
	}
	for j, p := range params {
		if p.check == nil {
			continue
		}
		if err := p.check(string(args[3+2*j])); err != nil {
			failed(2+2*j, err.Error())
			return
		}
	}
	for j, p := range params {
		if p.set != nil {
			if err := p.set(c.s, string(args[3+2*j])); err != nil {
				c.writeError(err)
				return
			}
		}
	}
	c.w.OK()
}

// parseConfigInt parses a non-negative integer parameter as Redis does.
func parseConfigInt(v string) (int64, error) {
	n, ok := parseInt64([]byte(v))
	switch {
	case !ok:
		return 0, errConfigNotInteger
	case n < 0:
		return 0, errConfigRange
	}
	return n, nil
}

// parseConfigMemory parses a memory parameter as Redis's memtoull does:
// digits and an optional unit (b, k, kb, m, mb, g, gb; k = 1000, kb =
// 1024), at most 2^63-1 bytes.
func parseConfigMemory(v string) (int64, error) {
	bad := errConfigMemory
	digits := strings.TrimRightFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, bad
	}
	units := map[string]uint64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1 << 20, "g": 1000 * 1000 * 1000, "gb": 1 << 30}
	mul, ok := units[strings.ToLower(v[len(digits):])]
	if !ok {
		return 0, bad
	}
	var n uint64
	if digits != "" {
		var err error
		if n, err = strconv.ParseUint(digits, 10, 64); err != nil {
			n = math.MaxUint64 // strtoull saturates
		}
	}
	if n*mul > math.MaxInt64 {
		return 0, errConfigRange
	}
	return int64(n * mul), nil
}

// cmdConfigResetStat zeroes INFO's counters.
func cmdConfigResetStat(c *conn, _ [][]byte) {
	s := c.s
	s.stats.connectionsReceived.Store(0)
	s.stats.commandsProcessed.Store(0)
	s.stats.rejectedConnections.Store(0)
	s.stats.subscriberDrops.Store(0)
	st := s.b.Stats()
	s.admin.publishedBase.Store(st.Published)
	s.admin.deliveriesBase.Store(st.Deliveries)
	s.admin.peakMemoryBytes.Store(0)
	c.resetStats()
	c.w.OK()
}

func cmdConfigHelp(c *conn, _ [][]byte) {
	c.helpReply("CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.")
}
