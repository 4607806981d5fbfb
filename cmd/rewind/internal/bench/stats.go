package bench

import (
	"math"
	"slices"
	"time"
)

// samples collects latencies in nanoseconds. Each recorder owns one; they are
// merged once at the end, so recording is a single append (amortised, no lock).
type samples struct{ ns []int64 }

func newSamples(capacity int) *samples { return &samples{ns: make([]int64, 0, capacity)} }

func (s *samples) add(d time.Duration) { s.ns = append(s.ns, int64(d)) }

// mergeSorted concatenates the samples and sorts them ascending.
func mergeSorted(parts ...*samples) []int64 {
	n := 0
	for _, p := range parts {
		n += len(p.ns)
	}
	all := make([]int64, 0, n)
	for _, p := range parts {
		all = append(all, p.ns...)
	}
	slices.Sort(all)
	return all
}

// percentile returns the nearest-rank percentile p (0 < p <= 100) of an
// ascending slice: the smallest value such that at least p% of the values are
// less than or equal to it. It returns 0 for an empty slice.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	// The epsilon keeps float error from bumping an exact rank (99.9% of 1000
	// is 999.0000000000001 in float64) to the next one.
	rank := int(math.Ceil(p/100*float64(len(sorted)) - 1e-9))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// latencySummary is what the report keeps of a latency distribution.
type latencySummary struct {
	Count  int     `json:"count"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
	P999Ms float64 `json:"p999_ms"`
	MeanMs float64 `json:"mean_ms"`
	MaxMs  float64 `json:"max_ms"`
}

// summarize computes the summary of an ascending slice of nanoseconds.
func summarize(sorted []int64) latencySummary {
	if len(sorted) == 0 {
		return latencySummary{}
	}
	var sum float64
	for _, v := range sorted {
		sum += float64(v)
	}
	return latencySummary{
		Count:  len(sorted),
		P50Ms:  nsToMs(percentile(sorted, 50)),
		P99Ms:  nsToMs(percentile(sorted, 99)),
		P999Ms: nsToMs(percentile(sorted, 99.9)),
		MeanMs: sum / float64(len(sorted)) / 1e6,
		MaxMs:  nsToMs(sorted[len(sorted)-1]),
	}
}

func nsToMs(ns int64) float64 { return float64(ns) / 1e6 }

// perSecond returns n / elapsed, or 0 if nothing elapsed.
func perSecond(n int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(n) / elapsed.Seconds()
}
