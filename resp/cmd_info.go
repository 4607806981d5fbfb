package resp

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rewind-mq/rewind/broker"
)

// INFO: the server's sections in Redis 7.2's layout, with rewind's own
// fields where Redis has none.

// Version is rewind's version, reported by INFO as rewind_version. The
// build may set it with -ldflags "-X github.com/rewind-mq/rewind/resp.Version=...".
var Version = "0.1.0-dev"

func init() {
	const ls = flagLoading | flagStale
	register(
		&command{name: "info", arity: -1, flags: ls, group: "server", since: "1.0.0",
			summary: "Returns information and statistics about the server.", run: cmdInfo},
	)
}

// infoSections are INFO's sections in Redis's order; the default ones are
// what INFO without arguments (or "default") returns.
var infoSections = []struct {
	name    string
	title   string
	dflt    bool
	write   func(s *Server, sb *strings.Builder)
	aliases []string
}{
	{name: "server", title: "Server", dflt: true, write: (*Server).infoServer},
	{name: "clients", title: "Clients", dflt: true, write: (*Server).infoClients},
	{name: "memory", title: "Memory", dflt: true, write: (*Server).infoMemory},
	{name: "persistence", title: "Persistence", dflt: true, write: (*Server).infoPersistence},
	{name: "stats", title: "Stats", dflt: true, write: (*Server).infoStats},
	{name: "replication", title: "Replication", dflt: true, write: (*Server).infoReplication},
	{name: "cpu", title: "CPU", dflt: true, write: (*Server).infoCPU},
	{name: "module_list", title: "Modules", dflt: true, aliases: []string{"modules"}},
	{name: "commandstats", title: "Commandstats", write: (*Server).infoCommandStats},
	{name: "errorstats", title: "Errorstats", dflt: true, write: (*Server).infoErrorStats},
	{name: "latencystats", title: "Latencystats"},
	{name: "cluster", title: "Cluster", dflt: true, write: func(_ *Server, sb *strings.Builder) { infoLine(sb, "cluster_enabled", "0") }},
	{name: "keyspace", title: "Keyspace", dflt: true, write: (*Server).infoKeyspace},
}

// cmdInfo serves INFO [section ...]: "default", "all" and "everything"
// select as in Redis; an unknown section adds nothing. The reply is a bulk
// string in RESP2 and a verbatim string in RESP3, as in Redis.
func cmdInfo(c *conn, args [][]byte) {
	c.flushStats() // this connection's commands before INFO count
	all := false
	want := map[string]bool{}
	if len(args) == 1 {
		want["default"] = true
	}
	for _, a := range args[1:] {
		name := strings.ToLower(string(a))
		if name == "all" || name == "everything" {
			all = true
		}
		want[name] = true
	}
	var sb strings.Builder
	for _, sec := range infoSections {
		selected := all || want[sec.name] || (sec.dflt && want["default"])
		for _, alias := range sec.aliases {
			selected = selected || want[alias]
		}
		if !selected {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteString("\r\n")
		}
		sb.WriteString("# " + sec.title + "\r\n")
		if sec.write != nil {
			sec.write(c.s, &sb)
		}
	}
	c.w.Verbatim(sb.String())
}

func infoLine(sb *strings.Builder, key, value string) {
	sb.WriteString(key)
	sb.WriteByte(':')
	sb.WriteString(value)
	sb.WriteString("\r\n")
}

func infoInt(sb *strings.Builder, key string, n int64) { infoLine(sb, key, strconv.FormatInt(n, 10)) }

func infoUint(sb *strings.Builder, key string, n uint64) {
	infoLine(sb, key, strconv.FormatUint(n, 10))
}

// listenAddr returns the host and port the server listens on.
func (s *Server) listenAddr() (host string, port int) {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		host, port = a.IP.String(), a.Port
		if a.IP.IsUnspecified() {
			host = "*"
		}
	}
	return host, port
}

func (s *Server) infoServer(sb *strings.Builder) {
	now := time.Now()
	uptime := int64(now.Sub(s.b.Started()).Seconds())
	host, port := s.listenAddr()
	exe, _ := os.Executable()
	infoLine(sb, "redis_version", redisVersion)
	infoLine(sb, "redis_git_sha1", "00000000")
	infoLine(sb, "redis_git_dirty", "0")
	infoLine(sb, "redis_build_id", "0")
	infoLine(sb, "redis_mode", "standalone")
	infoLine(sb, "os", osDescription())
	infoInt(sb, "arch_bits", strconv.IntSize)
	infoLine(sb, "monotonic_clock", "POSIX clock_gettime")
	infoLine(sb, "multiplexing_api", multiplexingAPI())
	infoLine(sb, "atomicvar_api", "c11-builtin")
	infoLine(sb, "gcc_version", "0.0.0")
	infoInt(sb, "process_id", int64(os.Getpid()))
	infoLine(sb, "process_supervised", "no")
	infoLine(sb, "run_id", s.admin.runID)
	infoInt(sb, "tcp_port", int64(port))
	infoInt(sb, "server_time_usec", now.UnixMicro())
	infoInt(sb, "uptime_in_seconds", uptime)
	infoInt(sb, "uptime_in_days", uptime/(24*3600))
	infoLine(sb, "hz", "10")
	infoLine(sb, "configured_hz", "10")
	infoInt(sb, "lru_clock", now.Unix()&(1<<24-1))
	infoLine(sb, "executable", exe)
	infoLine(sb, "config_file", "")
	infoLine(sb, "io_threads_active", "0")
	infoLine(sb, "listener0", "name=tcp,bind="+host+",port="+strconv.Itoa(port))
	infoLine(sb, "rewind_version", Version)
	infoLine(sb, "go_version", runtime.Version())
}

// osDescription is INFO's "os": sysname, release, machine, as uname(2).
func osDescription() string {
	sys := runtime.GOOS
	if sys != "" {
		sys = strings.ToUpper(sys[:1]) + sys[1:]
	}
	release := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		release = strings.TrimSpace(string(b))
	}
	machine := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if machine == "" {
		machine = runtime.GOARCH
	}
	return sys + " " + release + " " + machine
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	}
	return "select"
}

func (s *Server) infoClients(sb *strings.Builder) {
	clients := s.clients()
	subscribed, maxIn, maxOut := 0, 0, 0
	for _, cl := range clients {
		cl.info.mu.Lock()
		st := cl.info.stats
		cl.info.mu.Unlock()
		if st.subs+st.psubs+st.ssubs > 0 {
			subscribed++
		}
		maxIn = max(maxIn, st.queryBytes+st.queryFreeBytes)
		cl.out.mu.Lock()
		maxOut = max(maxOut, cl.out.queued)
		cl.out.mu.Unlock()
	}
	infoInt(sb, "connected_clients", int64(len(clients)))
	infoLine(sb, "cluster_connections", "0")
	infoInt(sb, "maxclients", int64(s.limits.MaxClients))
	infoInt(sb, "client_recent_max_input_buffer", int64(maxIn))
	infoInt(sb, "client_recent_max_output_buffer", int64(maxOut))
	infoInt(sb, "rewind_subscriber_output_bytes", s.pushBytes.Load())
	infoInt(sb, "blocked_clients", s.stats.blockedClients.Load())
	infoLine(sb, "tracking_clients", "0")
	infoLine(sb, "clients_in_timeout_table", "0")
	infoLine(sb, "total_blocking_keys", "0")
	infoLine(sb, "total_blocking_keys_on_nokey", "0")
	infoInt(sb, "pubsub_clients", int64(subscribed))
}

func (s *Server) infoMemory(sb *strings.Builder) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used := ms.HeapAlloc
	peak := used
	for {
		old := s.admin.peakMemoryBytes.Load()
		if old >= used {
			peak = old
			break
		}
		if s.admin.peakMemoryBytes.CompareAndSwap(old, used) {
			break
		}
	}
	rss := residentBytes()
	if rss == 0 {
		rss = ms.Sys
	}
	total := totalSystemMemory()
	infoUint(sb, "used_memory", used)
	infoLine(sb, "used_memory_human", bytesToHuman(used))
	infoUint(sb, "used_memory_rss", rss)
	infoLine(sb, "used_memory_rss_human", bytesToHuman(rss))
	infoUint(sb, "used_memory_peak", peak)
	infoLine(sb, "used_memory_peak_human", bytesToHuman(peak))
	infoLine(sb, "used_memory_peak_perc", strconv.FormatFloat(100*float64(used)/float64(max(peak, 1)), 'f', 2, 64)+"%")
	infoUint(sb, "used_memory_overhead", ms.Sys-min(ms.Sys, used))
	infoUint(sb, "total_system_memory", total)
	infoLine(sb, "total_system_memory_human", bytesToHuman(total))
	infoLine(sb, "maxmemory", "0")
	infoLine(sb, "maxmemory_human", "0B")
	infoLine(sb, "maxmemory_policy", "noeviction")
	infoLine(sb, "mem_fragmentation_ratio", strconv.FormatFloat(float64(rss)/float64(max(used, 1)), 'f', 2, 64))
	infoLine(sb, "mem_allocator", runtime.Version())
	infoUint(sb, "go_heap_sys", ms.HeapSys)
	infoUint(sb, "go_num_gc", uint64(ms.NumGC))
}

// residentBytes reads the process's resident set size from /proc, or 0.
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo, or 0.
func totalSystemMemory() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// bytesToHuman formats a size as Redis does: 100B, 1.50K, 2.00M, ...
func bytesToHuman(n uint64) string {
	units := []string{"K", "M", "G", "T", "P"}
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n)
	for _, u := range units {
		d /= 1024
		if d < 1024 {
			return strconv.FormatFloat(d, 'f', 2, 64) + u
		}
	}
	return strconv.FormatUint(n, 10) + "B"
}

func (s *Server) infoPersistence(sb *strings.Builder) {
	st := s.b.Stats()
	now := time.Now().Unix()
	writeStatus := "ok"
	if s.b.Failed() != nil {
		writeStatus = "err"
	}
	fsync := "always"
	if s.b.Config().UnsafeNoSync {
		fsync = "unsafe-no-sync"
	}
	infoLine(sb, "loading", "0")
	infoLine(sb, "async_loading", "0")
	infoLine(sb, "rdb_changes_since_last_save", "0")
	infoLine(sb, "rdb_bgsave_in_progress", "0")
	infoInt(sb, "rdb_last_save_time", now)
	infoLine(sb, "rdb_last_bgsave_status", "ok")
	infoLine(sb, "rdb_last_bgsave_time_sec", "-1")
	infoLine(sb, "rdb_current_bgsave_time_sec", "-1")
	infoLine(sb, "rdb_saves", "0")
	infoLine(sb, "aof_enabled", "1")
	infoLine(sb, "aof_rewrite_in_progress", "0")
	infoLine(sb, "aof_rewrite_scheduled", "0")
	infoLine(sb, "aof_last_rewrite_time_sec", "-1")
	infoLine(sb, "aof_current_rewrite_time_sec", "-1")
	infoLine(sb, "aof_last_bgrewrite_status", "ok")
	infoLine(sb, "aof_rewrites", "0")
	infoLine(sb, "aof_rewrites_consecutive_failures", "0")
	infoLine(sb, "aof_last_write_status", writeStatus)
	infoUint(sb, "aof_current_size", st.DiskBytes)
	infoLine(sb, "aof_base_size", "0")
	infoLine(sb, "aof_pending_rewrite", "0")
	infoLine(sb, "aof_buffer_length", "0")
	infoLine(sb, "aof_pending_bio_fsync", "0")
	infoLine(sb, "aof_delayed_fsync", "0")
	infoLine(sb, "rewind_fsync", fsync)
	infoUint(sb, "rewind_disk_bytes", st.DiskBytes)
	infoUint(sb, "rewind_entries", st.Entries)
	infoUint(sb, "rewind_entry_bytes", st.EntryBytes)
}

func (s *Server) infoStats(sb *strings.Builder) {
	st := s.b.Stats()
	published := st.Published - min(st.Published, s.admin.publishedBase.Load())
	deliveries := st.Deliveries - min(st.Deliveries, s.admin.deliveriesBase.Load())
	infoInt(sb, "total_connections_received", s.stats.connectionsReceived.Load())
	infoInt(sb, "total_commands_processed", s.stats.commandsProcessed.Load())
	infoLine(sb, "instantaneous_ops_per_sec", "0")
	infoInt(sb, "rejected_connections", s.stats.rejectedConnections.Load())
	infoLine(sb, "sync_full", "0")
	infoLine(sb, "sync_partial_ok", "0")
	infoLine(sb, "sync_partial_err", "0")
	infoLine(sb, "expired_keys", "0")
	infoLine(sb, "evicted_keys", "0")
	infoInt(sb, "evicted_clients", s.stats.evictedClients.Load())
	infoLine(sb, "keyspace_hits", "0")
	infoLine(sb, "keyspace_misses", "0")
	infoInt(sb, "pubsub_channels", int64(s.b.NumSubscriptionNames(broker.KindChannel)))
	infoInt(sb, "pubsub_patterns", int64(s.b.NumSubscriptionNames(broker.KindPattern)))
	infoInt(sb, "pubsubshard_channels", int64(s.b.NumSubscriptionNames(broker.KindShard)))
	infoLine(sb, "latest_fork_usec", "0")
	infoLine(sb, "total_forks", "0")
	infoLine(sb, "unexpected_error_replies", "0")
	infoInt(sb, "total_error_replies", s.errStats.total.Load())
	infoUint(sb, "rewind_published_entries", published)
	infoUint(sb, "rewind_deliveries", deliveries)
	infoInt(sb, "rewind_slow_subscriber_disconnects", s.stats.subscriberDrops.Load())
}

func (s *Server) infoReplication(sb *strings.Builder) {
	infoLine(sb, "role", "master")
	infoLine(sb, "connected_slaves", "0")
	infoLine(sb, "master_failover_state", "no-failover")
	infoLine(sb, "master_replid", s.admin.runID)
	infoLine(sb, "master_replid2", strings.Repeat("0", 40))
	infoLine(sb, "master_repl_offset", "0")
	infoLine(sb, "second_repl_offset", "-1")
	infoLine(sb, "repl_backlog_active", "0")
	infoLine(sb, "repl_backlog_size", "1048576")
	infoLine(sb, "repl_backlog_first_byte_offset", "0")
	infoLine(sb, "repl_backlog_histlen", "0")
}

func (s *Server) infoCPU(sb *strings.Builder) {
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	tv := func(t syscall.Timeval) string {
		return strconv.FormatInt(int64(t.Sec), 10) + "." + fmt6(int64(t.Usec))
	}
	infoLine(sb, "used_cpu_sys", tv(self.Stime))
	infoLine(sb, "used_cpu_user", tv(self.Utime))
	infoLine(sb, "used_cpu_sys_children", tv(children.Stime))
	infoLine(sb, "used_cpu_user_children", tv(children.Utime))
}

// fmt6 formats 0 <= n < 1e6 with six digits.
func fmt6(n int64) string {
	s := strconv.FormatInt(n, 10)
	if len(s) < 6 {
		s = strings.Repeat("0", 6-len(s)) + s
	}
	return s
}

func (s *Server) infoKeyspace(sb *strings.Builder) {
	if n := s.channelCount(); n > 0 {
		infoLine(sb, "db0", "keys="+strconv.Itoa(n)+",expires=0,avg_ttl=0")
	}
}
