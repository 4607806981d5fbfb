package bench

import (
	"cmp"
	"math"
	"slices"
)

// medianResults returns one result per test and system, each number in it
// the median of the runs that measured it without error (the mean of the
// two middle values for an even count), with Runs saying how many did. A
// test that failed in every run keeps its first run's error. Extra is left
// out: the run results keep it. rs is in sortResults order; the medians keep
// its order of tests and list the systems of a test in allSystems order.
func medianResults(rs []Result) []Result {
	type testSystem struct{ key, system string }
	testOrder := map[string]int{}
	var order []testSystem
	runs := map[testSystem][]Result{}
	for _, r := range rs {
		if _, ok := testOrder[r.key()]; !ok {
			testOrder[r.key()] = len(testOrder)
		}
		ts := testSystem{r.key(), r.System}
		if _, ok := runs[ts]; !ok {
			order = append(order, ts)
		}
		runs[ts] = append(runs[ts], r)
	}
	slices.SortStableFunc(order, func(a, b testSystem) int {
		return cmp.Or(cmp.Compare(testOrder[a.key], testOrder[b.key]),
			cmp.Compare(systemIndex(a.system), systemIndex(b.system)))
	})
	out := make([]Result, 0, len(order))
	for _, ts := range order {
		out = append(out, medianResult(runs[ts]))
	}
	return out
}

// systemIndex returns the position of the system named name in allSystems
// (unknown names last).
func systemIndex(name string) int {
	i := slices.IndexFunc(allSystems, func(s system) bool { return s.Name == name })
	if i < 0 {
		return len(allSystems)
	}
	return i
}

// medianResult combines the runs of one test on one system.
func medianResult(runs []Result) Result {
	measured := slices.DeleteFunc(slices.Clone(runs), func(r Result) bool { return r.Error != "" })
	if len(measured) == 0 {
		m := runs[0]
		m.Run, m.Extra = 0, nil
		return m
	}
	m := measured[0]
	m.Run, m.Runs, m.Extra = 0, len(measured), nil
	m.Count = int64(math.Round(medianOf(measured, func(r Result) float64 { return float64(r.Count) })))
	m.ElapsedSec = medianOf(measured, func(r Result) float64 { return r.ElapsedSec })
	m.MsgsPerSec = medianOf(measured, func(r Result) float64 { return r.MsgsPerSec })
	m.MemBytes = medianOf(measured, func(r Result) float64 { return r.MemBytes })
	m.Latency = medianLatency(measured)
	return m
}

// medianLatency returns the median of each field of the runs' latency
// summaries, or nil when no run has one.
func medianLatency(runs []Result) *latencySummary {
	var summaries []latencySummary
	for _, r := range runs {
		if r.Latency != nil {
			summaries = append(summaries, *r.Latency)
		}
	}
	if len(summaries) == 0 {
		return nil
	}
	field := func(get func(latencySummary) float64) float64 { return medianOf(summaries, get) }
	return &latencySummary{
		Count:  int(math.Round(field(func(l latencySummary) float64 { return float64(l.Count) }))),
		P50Ms:  field(func(l latencySummary) float64 { return l.P50Ms }),
		P99Ms:  field(func(l latencySummary) float64 { return l.P99Ms }),
		P999Ms: field(func(l latencySummary) float64 { return l.P999Ms }),
		MeanMs: field(func(l latencySummary) float64 { return l.MeanMs }),
		MaxMs:  field(func(l latencySummary) float64 { return l.MaxMs }),
	}
}

// medianOf returns the median of get over items: the middle value, or the
// mean of the two middle values for an even count; 0 for no items.
func medianOf[T any](items []T, get func(T) float64) float64 {
	if len(items) == 0 {
		return 0
	}
	values := make([]float64, len(items))
	for i, item := range items {
		values[i] = get(item)
	}
	slices.Sort(values)
	mid := len(values) / 2
	if len(values)%2 == 1 {
		return values[mid]
	}
	return (values[mid-1] + values[mid]) / 2
}
