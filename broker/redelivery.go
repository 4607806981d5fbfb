package broker

import "time"

// redeliveryLoop runs the redelivery scan every interval while some group
// has a redelivery policy: it dead-letters entries that used up their
// deliveries and wakes readers blocked on channels with entries due again.
func (b *Broker) redeliveryLoop(interval time.Duration) {
	defer b.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	r := NewRequest()
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
		r.Add().Kind = OpRedeliveryScan
		if err := b.Submit(r); err != nil {
			continue // closing, or the log failed (logged by wal)
		}
		r.Wait()
		p := r.Result(0)
		if p.Err != nil {
			b.cfg.Logger.Warn("redelivery scan failed", "err", p.Err)
			continue
		}
		for _, name := range p.Due {
			b.log.Notify(name)
		}
		for _, d := range p.DeadLettered {
			b.cfg.Logger.Info("dead-lettered an entry", "channel", string(d.Channel), "id", d.ID.String())
		}
	}
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
