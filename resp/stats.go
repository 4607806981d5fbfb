package resp

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Command and error statistics: INFO commandstats, errorstats and
// total_error_replies, counted as Redis 7.0 counts them (server.c call,
// rejectCommand, afterErrorReply):
//
//   - calls and usec: a command that ran (inside EXEC too; a command queued
//     by MULTI runs, and counts, at EXEC). usec is the time it ran, without
//     the time it waited blocked (XREAD BLOCK) and with its share of the
//     group commit its write waited for. Reading the clock twice costs half
//     of what a pipelined PING does, so a fast command (COMMAND INFO flag "fast": PING,
//     PUBLISH, XADD, XACK, ...) is not timed alone: the fast commands of a
//     batch share its time (less the rest) in equal parts. The others
//     (XRANGE, XREAD, EXEC, INFO, ...) are timed one by one.
//   - rejected_calls: refused before it ran: wrong number of arguments, not
//     allowed in subscribe mode, refused while queuing in MULTI. An unknown
//     command or subcommand has no entry; its error counts in errorstats.
//   - failed_calls: it ran and replied an error (a write whose error comes
//     from the broker after the commit included). EXEC does not fail because
//     a command inside it did.
//   - errorstats: every error reply, by its first word (ERR, NOGROUP, ...).
//
// Counting is per connection and cheap: a connection tallies the commands
// of a batch in a short slice and adds them to the server's atomic
// counters once per batch (flushStats), as it does total_commands_processed.
// INFO flushes its own connection's tally first, so a pipeline sees its
// earlier commands; another connection's current batch shows up once it
// ends.

// cmdStat is one command's counters in one server.
type cmdStat struct {
	calls, usec, rejected, failed atomic.Int64
}

// cmdTally is a connection's not yet flushed counts of one command.
type cmdTally struct {
	index                       int // command.statIndex
	calls, ns, rejected, failed int64
	shared                      int64 // calls that share the batch's time
}

// errorTally counts a connection's error replies. total never goes back;
// codes are the counts by error code since the last flush. writer.Error
// feeds it.
type errorTally struct {
	total int64
	codes []errorCount
}

type errorCount struct {
	code string
	n    int64
}

// maxErrorCodes bounds errorstats: rewind's error codes are a short fixed
// set, so this is never reached, but a bound is cheap.
const maxErrorCodes = 128

// errorStats is the server's error counts (errorstats, total_error_replies).
type errorStats struct {
	total  atomic.Int64
	mu     sync.Mutex
	byCode map[string]int64 // guarded by mu
}

var (
	numberCommandsOnce sync.Once
	statCommands       []*command // by statIndex
)

// numberCommands gives every command and subcommand its statIndex. It runs
// once, at the first Listen, when every init has filled the table.
func numberCommands() {
	numberCommandsOnce.Do(func() {
		for _, cmd := range sortedCommands(commandTable) {
			cmd.statIndex = len(statCommands)
			statCommands = append(statCommands, cmd)
			for _, sub := range sortedCommands(cmd.subs) {
				sub.statIndex = len(statCommands)
				statCommands = append(statCommands, sub)
			}
		}
	})
}

// note counts an error reply (s without its leading '-').
func (t *errorTally) note(s string) {
	t.total++
	code := errorCode(s)
	for i := range t.codes {
		if t.codes[i].code == code {
			t.codes[i].n++
			return
		}
	}
	t.codes = append(t.codes, errorCount{code: code, n: 1})
}

// errorCode is the first word of an error, looked for in its first 32
// bytes as Redis does; "ERR" if there is none.
func errorCode(s string) string {
	if i := strings.IndexByte(s[:min(len(s), 32)], ' '); i > 0 {
		return s[:i]
	}
	return "ERR"
}

// tally returns the connection's tally of cmd, adding it if needed. The
// pointer is valid until the next tally call.
func (c *conn) tally(cmd *command) *cmdTally {
	for i := range c.tallies {
		if c.tallies[i].index == cmd.statIndex {
			return &c.tallies[i]
		}
	}
	c.tallies = append(c.tallies, cmdTally{index: cmd.statIndex})
	return &c.tallies[len(c.tallies)-1]
}

// claimErrors reports whether errors were replied since the last claim,
// and claims them: the caller owns them (a command that failed), and an
// enclosing command (EXEC) does not count them again.
func (c *conn) claimErrors() bool {
	fresh := c.errs.total > c.errsClaimed
	c.errsClaimed = c.errs.total
	return fresh
}

// countCall records that cmd ran, for ns, or (shared) for a part of the
// batch's time that shareBatchTime gives it, and whether it replied an
// error.
func (c *conn) countCall(cmd *command, ns int64, shared bool) {
	failed := c.claimErrors()
	t := c.tally(cmd)
	t.calls++
	t.ns += ns
	if shared {
		t.shared++
		c.sharedCalls++
	}
	if failed {
		t.failed++
	}
}

// shareBatchTime charges the batch's time so far, less what was excluded
// (timed commands, group commits, blocked waits), to its fast commands in
// equal parts: they are too quick to read the clock twice each. It starts
// the count again from now, so it can run mid-batch (INFO) and at its end.
func (c *conn) shareBatchTime() {
	now := time.Now()
	rest := max(now.Sub(c.batchStart).Nanoseconds()-(c.excludedNs-c.batchExcludedNs), 0)
	c.batchStart, c.batchExcludedNs = now, c.excludedNs
	if c.sharedCalls == 0 {
		return
	}
	share := rest / c.sharedCalls
	for i := range c.tallies {
		t := &c.tallies[i]
		t.ns += share * t.shared
		t.shared = 0
	}
	c.sharedCalls = 0
}

// countRejected records that cmd was refused before it ran.
func (c *conn) countRejected(cmd *command) {
	c.claimErrors()
	c.tally(cmd).rejected++
}

// flushStats adds the connection's tallies to the server's counters.
func (c *conn) flushStats() {
	c.shareBatchTime()
	s := c.s
	for _, t := range c.tallies {
		st := &s.cmdStats[t.index]
		st.calls.Add(t.calls)
		st.usec.Add(t.ns / 1000)
		if t.rejected != 0 {
			st.rejected.Add(t.rejected)
		}
		if t.failed != 0 {
			st.failed.Add(t.failed)
		}
	}
	c.tallies = c.tallies[:0]
	if len(c.errs.codes) == 0 {
		return
	}
	s.errStats.mu.Lock()
	for _, e := range c.errs.codes {
		s.errStats.total.Add(e.n)
		if _, ok := s.errStats.byCode[e.code]; ok || len(s.errStats.byCode) < maxErrorCodes {
			s.errStats.byCode[strings.Clone(e.code)] += e.n
		}
	}
	s.errStats.mu.Unlock()
	clear(c.errs.codes)
	c.errs.codes = c.errs.codes[:0]
}

// resetStats zeroes the command and error statistics (CONFIG RESETSTAT),
// and the calling connection's pending tallies.
func (c *conn) resetStats() {
	s := c.s
	for i := range s.cmdStats {
		st := &s.cmdStats[i]
		st.calls.Store(0)
		st.usec.Store(0)
		st.rejected.Store(0)
		st.failed.Store(0)
	}
	c.tallies, c.sharedCalls = c.tallies[:0], 0
	c.batchStart, c.batchExcludedNs = time.Now(), c.excludedNs
	clear(c.errs.codes)
	c.errs.codes = c.errs.codes[:0]
	s.errStats.mu.Lock()
	clear(s.errStats.byCode)
	s.errStats.total.Store(0)
	s.errStats.mu.Unlock()
}

// infoCommandStats writes INFO commandstats: a line per command (and
// subcommand, as cmdstat_client|list) that was called, rejected or failed,
// in name order.
func (s *Server) infoCommandStats(sb *strings.Builder) {
	for i, cmd := range statCommands {
		st := &s.cmdStats[i]
		calls, usec := st.calls.Load(), st.usec.Load()
		rejected, failed := st.rejected.Load(), st.failed.Load()
		if calls == 0 && rejected == 0 && failed == 0 {
			continue
		}
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		sb.WriteString("cmdstat_")
		sb.WriteString(cmd.fullName())
		sb.WriteString(":calls=")
		sb.WriteString(strconv.FormatInt(calls, 10))
		sb.WriteString(",usec=")
		sb.WriteString(strconv.FormatInt(usec, 10))
		sb.WriteString(",usec_per_call=")
		sb.WriteString(strconv.FormatFloat(perCall, 'f', 2, 64))
		sb.WriteString(",rejected_calls=")
		sb.WriteString(strconv.FormatInt(rejected, 10))
		sb.WriteString(",failed_calls=")
		sb.WriteString(strconv.FormatInt(failed, 10))
		sb.WriteString("\r\n")
	}
}

// infoErrorStats writes INFO errorstats: errorstat_<code>:count=N, by code.
func (s *Server) infoErrorStats(sb *strings.Builder) {
	s.errStats.mu.Lock()
	codes := make([]string, 0, len(s.errStats.byCode))
	for code := range s.errStats.byCode {
		codes = append(codes, code)
	}
	counts := make(map[string]int64, len(codes))
	for _, code := range codes {
		counts[code] = s.errStats.byCode[code]
	}
	s.errStats.mu.Unlock()
	slices.Sort(codes)
	for _, code := range codes {
		infoLine(sb, "errorstat_"+code, "count="+strconv.FormatInt(counts[code], 10))
	}
}

// countBlocked counts the connection in INFO's blocked_clients until the
// returned func is called (the wait ended: data, timeout, disconnect or
// shutdown), and keeps the wait out of the command's usec.
func (c *conn) countBlocked() (done func()) {
	c.s.stats.blockedClients.Add(1)
	c.blocked.Store(true)
	start := time.Now()
	return func() {
		c.excludedNs += time.Since(start).Nanoseconds()
		c.blocked.Store(false)
		c.s.stats.blockedClients.Add(-1)
	}
}
