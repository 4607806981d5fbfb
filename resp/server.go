// Package resp is rewind's Redis-protocol front: RESP2 and RESP3 over TCP,
// with Redis's reply shapes and error strings, on top of broker.
//
// It reads commands with its own bounded parser (limits are checked before
// anything is buffered, and parsing allocates nothing per command) and
// encodes replies with tidwall/redcon's append functions plus a small RESP3
// encoder. Each connection has one reader goroutine that parses every
// complete pipelined command, submits their writes as one request (one
// group-committed batch), and writes all replies with one socket write.
// Subscribers receive pushes through a bounded output buffer; one that lets
// it fill up is disconnected (see conn.Deliver).
package resp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rewind-mq/rewind/broker"
	"github.com/rewind-mq/rewind/internal/loglimit"
)

// Config configures a Server.
type Config struct {
	Addr   string // host:port to listen on
	Broker *broker.Broker
	Logger *slog.Logger

	// AllowFlush lets FLUSHALL and FLUSHDB delete every channel's log
	// without the CONFIRM argument (serve --allow-flush).
	AllowFlush bool

	// Registerer receives the front's Prometheus metrics; nil: none.
	Registerer prometheus.Registerer

	// ResumeNames is a glob of client names whose channel subscriptions
	// resume after a disconnect (see resume.go); "" turns it off. rewind
	// serve defaults to "*".
	ResumeNames string

	// NotifyKeyspaceEvents is notify-keyspace-events at start, in Redis's
	// class letters (see notify.go); CONFIG SET changes it.
	NotifyKeyspaceEvents string

	// Shutdown, when set, is what SHUTDOWN calls to stop the node the way
	// SIGTERM does (rewind serve cancels its run); nil: SHUTDOWN fails.
	Shutdown func()
}

// Server serves the Redis protocol.
type Server struct {
	b      *broker.Broker
	log    *slog.Logger
	limits broker.Limits
	ln     net.Listener

	mu      sync.Mutex
	conns   map[*conn]struct{} // guarded by mu
	closing bool               // guarded by mu
	done    chan struct{}
	wg      sync.WaitGroup

	nextID   atomic.Int64
	stats    serverStats
	cmdStats []cmdStat // by command.statIndex (stats.go)
	errStats errorStats
	// pushScratch is Deliver's encoding buffer. Deliver runs only on the
	// broker's one fan-out goroutine.
	pushScratch []byte

	// chunks recycles output chunks (outqueue.go); pushBytes is the output
	// the fan-out queued for all subscribers together, which
	// boundSubscriberOutput keeps under TotalSubscriberBufferBytes. Every
	// socket writer updates pushBytes: the padding keeps it off the cache
	// lines of the fields read on every delivery.
	chunks    *chunkPool
	evictMu   sync.Mutex
	_         [64]byte
	pushBytes atomic.Int64
	_         [64]byte

	resumeNames string
	// notifyFlags is notify-keyspace-events, as classes (notify.go).
	notifyFlags atomic.Int32
	admin       *adminState // INFO, CONFIG, FLUSHALL state; see cmd_admin.go

	// protocolErrors limits the log lines about clients' protocol errors
	// (logProtocolError), server-wide.
	protocolErrors loglimit.Limiter
	// clientLines limits the other lines any client can cause (its
	// connection closed by the server, a slow subscriber dropped), per
	// message.
	clientLines loglimit.Keyed
}

// logClientLine logs a line about one client at level, if the limit for
// its message allows, with the number of such lines held back since.
func (s *Server) logClientLine(level slog.Level, msg string, args ...any) {
	if !s.log.Enabled(context.Background(), level) {
		return
	}
	ok, suppressed := s.clientLines.Allow(msg, time.Now())
	if !ok {
		return
	}
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	s.log.Log(context.Background(), level, msg, args...)
}

// Protocol errors are logged at debug level, as Redis logs them at its
// verbose level, and at most protocolErrorLogBurst a second across all
// clients: any client can cause them, so they must not flood the log.
const protocolErrorLogBurst = 5

// logProtocolError logs perr from c, if the limit allows, with the number
// of lines held back since the last one.
func (s *Server) logProtocolError(c *conn, perr error) {
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	ok, suppressed := s.protocolErrors.Allow(time.Now())
	if !ok {
		return
	}
	s.log.Debug("resp: protocol error, closing client", "client", c.id, "addr", c.addr, "err", perr, "suppressed", suppressed)
}

type serverStats struct {
	connectionsReceived atomic.Int64
	commandsProcessed   atomic.Int64
	rejectedConnections atomic.Int64
	subscriberDrops     atomic.Int64
	blockedClients      atomic.Int64 // in a blocking wait now (waitWatched)
	evictedClients      atomic.Int64 // over TotalSubscriberBufferBytes
}

// Listen creates a server listening on cfg.Addr. Call Serve to accept.
func Listen(cfg Config) (*Server, error) {
	if cfg.Broker == nil {
		return nil, errors.New("resp: Config.Broker is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	notifyFlags, err := parseNotifyFlags(cfg.NotifyKeyspaceEvents)
	if err != nil {
		return nil, fmt.Errorf("resp: notify-keyspace-events %q: %w", cfg.NotifyKeyspaceEvents, err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("resp: listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		b:      cfg.Broker,
		log:    cfg.Logger,
		limits: cfg.Broker.Config().Limits,
		ln:     ln,
		conns:  make(map[*conn]struct{}),
		done:   make(chan struct{}),
		admin:  newAdminState(cfg),

		protocolErrors: loglimit.Limiter{Burst: protocolErrorLogBurst, Window: time.Second},
		clientLines:    loglimit.Keyed{Burst: protocolErrorLogBurst, Window: time.Second},
	}
	numberCommands()
	s.cmdStats = make([]cmdStat, len(statCommands))
	s.errStats.byCode = make(map[string]int64)
	s.chunks = newChunkPool(s.limits.SubscriberBufferBytes)
	if cfg.Registerer != nil {
		s.registerMetrics(cfg.Registerer)
	}
	s.resumeNames = cfg.ResumeNames
	s.setNotifyFlags(notifyFlags)
	return s, nil
}

func (s *Server) registerMetrics(reg prometheus.Registerer) {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rewind_connected_clients", Help: "Client connections open now."},
			func() float64 { s.mu.Lock(); defer s.mu.Unlock(); return float64(len(s.conns)) }),
		counter("rewind_connections_total", "Client connections accepted.", &s.stats.connectionsReceived),
		counter("rewind_rejected_connections_total", "Connections refused over maxclients.", &s.stats.rejectedConnections),
		counter("rewind_commands_total", "Commands processed.", &s.stats.commandsProcessed),
		counter("rewind_slow_subscriber_disconnects_total", "Subscribers disconnected for not reading.", &s.stats.subscriberDrops),
		counter("rewind_evicted_clients_total", "Subscribers disconnected to keep all subscribers' output under the server-wide limit.", &s.stats.evictedClients),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rewind_subscriber_output_bytes", Help: "Output queued for subscribers now, all together."},
			func() float64 { return float64(s.pushBytes.Load()) }),
	)
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close. It returns nil after Close.
func (s *Server) Serve() error {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		s.stats.connectionsReceived.Add(1)
		if !s.admit(nc) {
			continue
		}
	}
}

// admit registers and starts a connection, or refuses it over maxclients.
func (s *Server) admit(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		_ = nc.Close()
		return false
	}
	if len(s.conns) >= s.limits.MaxClients {
		s.stats.rejectedConnections.Add(1)
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write([]byte("-ERR max number of clients reached\r\n"))
		_ = nc.Close()
		return false
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
	}()
	return true
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops accepting, closes every connection once its current commands
// are answered, and waits for them. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		c.shutdown()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if s.notifyFlags.Load() != 0 {
		s.b.SetNotifier(nil)
	}
	return err
}

// clients returns a snapshot of the connected clients.
func (s *Server) clients() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}
