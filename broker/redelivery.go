package broker

import (
	"time"

	"github.com/rewind-mq/rewind/wal"
)

// redeliveryLoop runs the redelivery scan every interval while some group
// has a redelivery policy: it dead-letters entries that used up their
// deliveries and wakes readers blocked on channels with entries due again.
func (b *Broker) redeliveryLoop(interval time.Duration) {
	defer b.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	r := wal.NewRequest()
	for {
		select {
		case <-b.done:
			return
		case <-t.C:
		}
		if b.log.RedeliveryGroups() == 0 {
			continue
		}
		r.Reset()
		r.Add().Op = wal.OpRedeliveryScan
		if err := b.submit(r); err != nil {
			continue // closing, or the log failed (logged by wal)
		}
		r.Wait()
		p := &r.Proposals[0]
		if p.Err != nil {
			b.cfg.Logger.Warn("redelivery scan failed", "err", p.Err)
			continue
		}
		for _, name := range p.Scan.Due {
			b.log.Notify(name)
		}
		for _, d := range p.Scan.DeadLettered {
			b.cfg.Logger.Info("dead-lettered an entry", "channel", string(d.Channel), "id", d.ID.String())
		}
	}
}

// deliverDeadLettered hands entries a scan appended to dead-letter channels
// to their subscribers.
func (b *Broker) deliverDeadLettered(p *wal.Proposal) {
	if p.Scan == nil {
		return
	}
	for _, d := range p.Scan.DeadLettered {
		b.published.Add(1)
		b.run.Add([2]uint64{d.ID.Ms, d.ID.Seq}, d.Fields)
		n := b.index.Publish(KindChannel, d.Channel, &b.run, &b.flusher)
		b.deliveries.Add(uint64(n))
		b.run.Reset()
	}
}
