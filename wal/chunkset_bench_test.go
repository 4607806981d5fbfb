package wal

import "testing"

// BenchmarkPELConsume replays the consume-with-ack pattern on a group's
// pending entries list: 8 consumers take turns reading 100 new entries and
// acking the 100 they read before. One op is one entry delivered and acked.
func BenchmarkPELConsume(b *testing.B) {
	g := newGroup("g", 1)
	var cs [8]*consumer
	for i := range cs {
		cs[i] = &consumer{name: string(rune('a' + i))}
		g.addConsumer(cs[i])
	}
	var held [8][]ID
	next := uint64(1)
	b.ReportAllocs()
	for n := 0; n < b.N; {
		for i, c := range cs {
			for _, id := range held[i] {
				g.removePending(id)
			}
			held[i] = held[i][:0]
			for k := 0; k < 100; k++ {
				id := ID{Ms: next / 4, Seq: next % 4}
				next++
				g.insertPending(id, c, 1, 1)
				held[i] = append(held[i], id)
			}
			n += 100
		}
	}
}
