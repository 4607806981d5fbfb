package broker

import "time"

// redeliveryLoop runs the redelivery scan every interval while some group
// has a redelivery policy: it dead-letters entries that used up their
// deliveries and wakes readers blocked on channels with entries due again.
func (b *Broker) redeliveryLoop(interval time.Duration) {
	r := NewRequest()
	b.every(interval, func() {
		if b.log.RedeliveryGroups() == 0 {
			return
		}
		r.Reset()
		r.Add().Kind = OpRedeliveryScan
		if err := b.propose(r); err != nil {
			return // closing, or the log failed (logged by wal)
		}
		res := r.Result(0)
		if res.Err != nil {
			b.cfg.Logger.Warn("redelivery scan failed", "err", res.Err)
			return
		}
		for _, name := range res.Due {
			b.log.Notify(name)
		}
		for _, d := range res.DeadLettered {
			b.cfg.Logger.Info("dead-lettered an entry", "channel", string(d.Channel), "id", d.ID.String())
		}
	})
}

// deliverDeadLettered hands entries a scan appended to dead-letter channels
// to their subscribers.
func (b *Broker) deliverDeadLettered(res *Result) {
	for _, d := range res.DeadLettered {
		b.published.Add(1)
		b.run.Add([2]uint64{d.ID.Ms, d.ID.Seq}, d.Fields)
		n := b.index.Publish(KindChannel, d.Channel, &b.run, &b.flusher)
		b.deliveries.Add(uint64(n))
		b.run.Reset()
	}
}
