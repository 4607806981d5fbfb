package broker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rewind-mq/rewind/wal"
)

// slowCommit is the commit (fsync) duration over which a warning is logged.
const slowCommit = time.Second

// metrics are the broker's Prometheus collectors, registered on the
// registry given in Config (none when it is nil).
type metrics struct {
	commitSeconds  prometheus.Histogram
	batchEntries   prometheus.Histogram
	commitFailures prometheus.Counter
}

func newMetrics(b *Broker, reg prometheus.Registerer) *metrics {
	m := &metrics{
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rewind_commit_seconds",
			Help:    "Time to commit one batch to the log, fsync included.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		batchEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rewind_commit_batch_proposals",
			Help:    "Writes (PUBLISH, XADD, ...) carried by one fsync'd batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rewind_commit_failures_total",
			Help: "Batches whose write or fsync failed (the node then refuses writes).",
		}),
	}
	if reg == nil {
		return m
	}
	stat := func(name, help string, f func(Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			return f(b.Stats())
		})
	}
	reg.MustRegister(m.commitSeconds, m.batchEntries, m.commitFailures,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rewind_published_entries_total",
			Help: "Entries appended (PUBLISH, SPUBLISH, XADD)."}, func() float64 { return float64(b.published.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rewind_deliveries_total",
			Help: "Messages handed to subscribers."}, func() float64 { return float64(b.deliveries.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rewind_group_reads_held_back_total",
			Help: "XREADGROUP reads that left new entries undelivered because the group held its limit of pending entries."},
			func() float64 { return float64(b.readsHeldBack.Load()) }),
		stat("rewind_channels", "Channels that exist.", func(s Stats) float64 { return float64(s.Channels) }),
		stat("rewind_entries", "Entries stored in all channels.", func(s Stats) float64 { return float64(s.Entries) }),
		stat("rewind_disk_bytes", "Bytes the log takes on disk.", func(s Stats) float64 { return float64(s.DiskBytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rewind_pattern_fanout_matches_total",
			Help: "Times fan-out matched patterns itself (a publish in flight while a pattern was added or its cached matches evicted)."},
			func() float64 { return float64(b.index.FanoutMatches()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rewind_pattern_cache_bytes",
			Help: "Memory accounted to the cache of which patterns match which channel."},
			func() float64 { _, n := b.index.MatchCacheStats(); return float64(n) }),
	)
	return m
}

// observe records one commit and warns about a slow one.
func (b *Broker) observe(st wal.CommitStats) {
	m := b.metrics
	m.commitSeconds.Observe(st.Duration.Seconds())
	m.batchEntries.Observe(float64(st.Commands))
	if st.Err != nil {
		m.commitFailures.Inc()
	}
	if st.Duration > slowCommit {
		b.cfg.Logger.Warn("slow commit: fsync took long", "duration", st.Duration, "writes", st.Commands)
	}
}
