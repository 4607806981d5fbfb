package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/pflag"

	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/resp"
)

type serveFlags struct {
	bind              string
	port              int
	dir               string
	maxClients        int
	maxMessageBytes   int
	maxChannelName    int
	maxPattern        int
	patternCacheMB    int
	subscriberBuffer  int
	totalSubscriber   int
	writeQueueLen     int
	maxBatchBytes     int
	maxPendingGroup   int64
	retentionMaxAge   time.Duration
	retentionMaxLen   int64
	retentionMaxBytes int64
	retentionInterval time.Duration
	logLevel          string
	logFormat         string
	unsafeNoSync      bool
	cpuProfile        string
	allowFlush        bool
	metricsAddr       string
	resumeNames       string
	notifyEvents      string
	resumeTTL         time.Duration
	cacheMB           int64
	testFS            testFSFlags // powerloss.go: hidden fault-injection modes
}

func serveMain(args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	fs := pflag.NewFlagSet("rewind serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.bind, "bind", "127.0.0.1", "address to listen on")
	fs.IntVar(&f.port, "port", 7379, "TCP port for the Redis protocol")
	fs.StringVar(&f.dir, "dir", "./data", "data directory (created if missing)")
	fs.IntVar(&f.maxClients, "maxclients", 10000, "most client connections at once")
	fs.IntVar(&f.maxMessageBytes, "max-message-bytes", 8<<20, "largest message (PUBLISH payload or XADD fields) accepted; one command may be 4 times this plus 64 KiB")
	fs.IntVar(&f.maxChannelName, "max-channel-name-bytes", broker.DefaultMaxChannelNameBytes, "longest channel name PUBLISH, XADD and SUBSCRIBE accept")
	fs.IntVar(&f.maxPattern, "max-pattern-bytes", broker.DefaultMaxPatternBytes, "longest PSUBSCRIBE pattern accepted")
	fs.IntVar(&f.patternCacheMB, "pattern-cache-mb", 64, "memory for the cache of which patterns match which channel, in MiB")
	fs.IntVar(&f.subscriberBuffer, "subscriber-buffer-bytes", 32<<20, "unsent output a subscriber may hold before it is disconnected")
	fs.IntVar(&f.totalSubscriber, "total-subscriber-buffer-bytes", 1<<30, "unsent output all subscribers together may hold; past it those holding the most are disconnected first")
	fs.IntVar(&f.writeQueueLen, "write-queue-len", 4096, "write requests waiting for the writer before clients are slowed (back-pressure)")
	fs.IntVar(&f.maxBatchBytes, "max-batch-bytes", 0, "entry bytes one group commit holds before it is fsync'd (0: 16 MiB, or --max-message-bytes plus 64 KiB if larger)")
	fs.Int64Var(&f.maxPendingGroup, "max-pending-per-group", broker.DefaultMaxPendingPerGroup, "delivered but unacknowledged entries a consumer group may hold before XREADGROUP > gives it no new ones (0: no limit; XGROUP SETCONFIG ... MAXPENDING n sets a group's own)")
	fs.DurationVar(&f.retentionMaxAge, "retention-max-age", 0, "default: drop entries older than this (0: keep)")
	fs.Int64Var(&f.retentionMaxLen, "retention-max-len", 0, "default: keep at most this many entries per channel (0: no limit)")
	fs.Int64Var(&f.retentionMaxBytes, "retention-max-bytes", 0, "default: keep at most this many bytes per channel (0: no limit)")
	fs.DurationVar(&f.retentionInterval, "retention-interval", time.Second, "how often retention limits are enforced")
	fs.BoolVar(&f.allowFlush, "allow-flush", false, "let FLUSHALL/FLUSHDB delete every channel's log without the CONFIRM argument")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on this address at /metrics (e.g. 127.0.0.1:9379; empty: off)")
	fs.StringVar(&f.resumeNames, "resume-names", "*", "glob of client names whose SUBSCRIBEs resume after a disconnect (empty: off)")
	fs.StringVar(&f.notifyEvents, "notify-keyspace-events", "", "keyspace notification classes, as Redis's (e.g. KEA); CONFIG SET changes them")
	fs.DurationVar(&f.resumeTTL, "resume-ttl", 7*24*time.Hour, "forget the position of a subscriber name not seen for this long")
	fs.Int64Var(&f.cacheMB, "cache-mb", 256, "block cache for reads from disk, in MiB")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.BoolVar(&f.unsafeNoSync, "unsafe-no-sync", false, "acknowledge writes before fsync (loses data on a crash; for fault-injection tests only)")
	_ = fs.MarkHidden("unsafe-no-sync")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile to this file until shutdown")
	_ = fs.MarkHidden("cpuprofile")
	f.testFS.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: rewind serve [flags]\n\nRuns a rewind node: the Redis protocol on --bind:--port, data in --dir.\nEvery PUBLISH and XADD is fsync'd before it is answered.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger, err := newLogger(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "rewind serve:", err)
		return 2
	}
	if f.cacheMB < 1 || f.cacheMB > 1<<20 {
		fmt.Fprintln(stderr, "rewind serve: --cache-mb must be between 1 and 1048576")
		return 2
	}
	if f.writeQueueLen < 1 || f.writeQueueLen > 1<<20 {
		fmt.Fprintln(stderr, "rewind serve: --write-queue-len must be between 1 and 1048576")
		return 2
	}
	if minBatch := f.maxMessageBytes + 64<<10; f.maxBatchBytes != 0 && f.maxBatchBytes < minBatch {
		fmt.Fprintf(stderr, "rewind serve: --max-batch-bytes must be 0 or at least %d (--max-message-bytes plus 64 KiB)\n", minBatch)
		return 2
	}
	if f.maxPendingGroup < 0 {
		fmt.Fprintln(stderr, "rewind serve: --max-pending-per-group must be 0 (no limit) or positive")
		return 2
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "rewind serve:", err)
			return 2
		}
		defer stop()
	}
	if err := serve(f, logger); err != nil {
		logger.Error("rewind serve failed", "err", explainStartError(err))
		return 1
	}
	return 0
}

// explainStartError turns a data directory the node cannot use into one
// line that says what to do; other errors pass unchanged.
func explainStartError(err error) error {
	var dirErr *broker.DirError
	if !errors.As(err, &dirErr) {
		return err
	}
	switch dirErr.Kind {
	case broker.ErrDirInUse:
		return fmt.Errorf("cannot start: %v: stop it or use another --dir", dirErr)
	case broker.ErrDirNotWritable:
		return fmt.Errorf("cannot start: %v: give this user write access to it or use another --dir", dirErr)
	case broker.ErrDiskFull:
		return fmt.Errorf("cannot start: %v: free space on it or use another --dir", dirErr)
	}
	return fmt.Errorf("cannot start: %v", dirErr)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

func serve(f serveFlags, logger *slog.Logger) error {
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return &broker.DirError{Kind: broker.ErrDirNotWritable, Dir: f.dir, Detail: err.Error()}
		}
		return fmt.Errorf("--dir: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	fsys, finishFS, err := testFilesystem(f.dir, f.testFS, logger)
	if err != nil {
		return err
	}
	b, err := broker.Open(broker.Config{
		Registerer: reg,
		Dir:        f.dir,
		CacheBytes: f.cacheMB << 20,
		FS:         fsys,
		Logger:     logger,
		ResumeTTL:  f.resumeTTL,
		Limits: broker.Limits{
			MaxMessageBytes:            f.maxMessageBytes,
			MaxClients:                 f.maxClients,
			SubscriberBufferBytes:      f.subscriberBuffer,
			TotalSubscriberBufferBytes: f.totalSubscriber,
			WriteQueueLen:              f.writeQueueLen,
			MaxBatchBytes:              f.maxBatchBytes,
			MaxPendingPerGroup:         pendingLimit(f.maxPendingGroup),
			MaxChannelNameBytes:        f.maxChannelName,
			MaxPatternBytes:            f.maxPattern,
			PatternCacheBytes:          f.patternCacheMB << 20,
		},
		Retention: broker.Retention{
			MaxAgeMs: f.retentionMaxAge.Milliseconds(),
			MaxLen:   f.retentionMaxLen,
			MaxBytes: f.retentionMaxBytes,
		},
		RetentionInterval: f.retentionInterval,
		UnsafeNoSync:      f.unsafeNoSync,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := resp.Listen(resp.Config{
		Addr:        net.JoinHostPort(f.bind, strconv.Itoa(f.port)),
		Broker:      b,
		Logger:      logger,
		AllowFlush:  f.allowFlush,
		Registerer:  reg,
		ResumeNames: f.resumeNames,
		Shutdown:    stop, // SHUTDOWN: as SIGTERM

		NotifyKeyspaceEvents: f.notifyEvents,
	})
	if err != nil {
		_ = b.Close()
		return err
	}
	if f.metricsAddr != "" {
		ms, err := serveMetrics(f.metricsAddr, reg, logger)
		if err != nil {
			_ = srv.Close()
			_ = b.Close()
			return err
		}
		defer ms.Close()
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	logger.Info("rewind ready", "addr", srv.Addr().String(), "dir", f.dir, "pid", os.Getpid())
	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining clients") // a signal or SHUTDOWN
	case err = <-served:
		logger.Error("accept loop stopped", "err", err)
	}
	cerr := srv.Close()
	berr := b.Close()
	logger.Info("rewind stopped")
	return errors.Join(err, cerr, berr, finishFS())
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); _ = f.Close() }, nil
}

// serveMetrics serves /metrics from reg on addr until the returned server
// is closed.
func serveMetrics(addr string, reg *prometheus.Registry, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("metrics ready", "addr", ln.Addr().String(), "path", "/metrics")
	return srv, nil
}

// pendingLimit is broker.Limits.MaxPendingPerGroup for the flag's value,
// where 0 means no limit (-1 to the broker, whose 0 is its default).
func pendingLimit(flag int64) int64 {
	if flag == 0 {
		return -1
	}
	return flag
}
