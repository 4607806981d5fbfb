package broker

import "github.com/rewind-mq/rewind/wal"

// Conversions between broker's command and result types and wal's
// Proposal, the one file that knows both. They are interim: once the apply
// step moves into broker (issue 12), the writer applies Commands and this
// file goes. Types whose fields are wal's one for one convert directly
// (Go converts between identical struct layouts); the others field by
// field. TestOpKindsAgree (convert_test.go) checks that the enumerations
// have wal's values.

// proposalScratch is the memory of a Request that proposals point into
// while the writer has them: the claims (wal writes their results into
// them) and the cursors. It is reused from request to request; a
// proposal's pointer into an array the scratch outgrew stays valid.
type proposalScratch struct {
	claims  []wal.ClaimArgs
	cursors []wal.Cursor
}

func (s *proposalScratch) reset() {
	clear(s.claims)
	clear(s.cursors)
	s.claims, s.cursors = s.claims[:0], s.cursors[:0]
}

// fill makes p the proposal of c, with res's Entries buffer. Slices are
// shared, not copied; a claim and cursors live in s.
func (s *proposalScratch) fill(p *wal.Proposal, c *Command, res *Result) {
	fillProposal(p, c)
	p.Entries = wal.Delivered(res.Entries)
	if c.Claim != nil {
		s.claims = append(s.claims, walClaim(c.Claim))
		p.Claim = &s.claims[len(s.claims)-1]
	}
	if len(c.Cursors) > 0 {
		from := len(s.cursors)
		for i := range c.Cursors {
			s.cursors = append(s.cursors, wal.Cursor(c.Cursors[i]))
		}
		p.Cursors = s.cursors[from:len(s.cursors):len(s.cursors)]
	}
}

// fillProposal fills p, which must be zero, with c's inputs but its claim
// and cursors. It assigns field by field (no temporary proposal): it runs
// for every command a front submits.
func fillProposal(p *wal.Proposal, c *Command) {
	p.Op, p.Channel, p.Spec, p.Fields, p.NoCreate = wal.OpKind(c.Kind), c.Channel, c.Spec, c.Fields, c.NoCreate
	p.IDs, p.Tag, p.Trim, p.SetID = c.IDs, c.Tag, walTrim(c.Trim), wal.SetID(c.SetID)
	p.Retention, p.NodeLimits = wal.Retention(c.Retention), wal.NodeLimits(c.NodeLimits)
	p.Group, p.Consumer, p.Count, p.NoAck, p.MkStream = c.Group, c.Consumer, c.Count, c.NoAck, c.MkStream
	p.AtLastID, p.EntriesRead, p.Config, p.Ref = c.AtLastID, c.EntriesRead, (*wal.GroupConfig)(c.Config), wal.RefPolicy(c.Ref)
	p.WantEntries, p.MaxPending = c.WantEntries, c.MaxPending
}

// Proposal fills p, which must be zero, with c's inputs. Slices are
// shared, not copied; a claim and cursors are copied into new memory.
func (c *Command) Proposal(p *wal.Proposal) {
	fillProposal(p, c)
	if c.Claim != nil {
		a := walClaim(c.Claim)
		p.Claim = &a
	}
	if c.Cursors != nil {
		p.Cursors = make([]wal.Cursor, len(c.Cursors))
		for i := range c.Cursors {
			p.Cursors[i] = wal.Cursor(c.Cursors[i])
		}
	}
}

// CommandOf returns the command that p's inputs describe (slices shared,
// cursors copied).
func CommandOf(p *wal.Proposal) Command {
	c := Command{
		Kind: OpKind(p.Op), Channel: p.Channel, Spec: p.Spec, Fields: p.Fields, NoCreate: p.NoCreate,
		Trim: trimOf(p.Trim), IDs: p.IDs, SetID: SetID(p.SetID), Retention: Retention(p.Retention),
		Group: p.Group, Consumer: p.Consumer, Count: p.Count, NoAck: p.NoAck, MkStream: p.MkStream,
		AtLastID: p.AtLastID, EntriesRead: p.EntriesRead, Config: (*GroupConfig)(p.Config), Ref: RefPolicy(p.Ref),
		NodeLimits: NodeLimits(p.NodeLimits), WantEntries: p.WantEntries, Tag: p.Tag, MaxPending: p.MaxPending,
	}
	if a := p.Claim; a != nil {
		c.Claim = &ClaimInput{MinIdleMs: a.MinIdleMs, Delivery: DeliveryKind(a.Delivery), DeliveryMs: a.DeliveryMs,
			RetryCount: a.RetryCount, Force: a.Force, JustID: a.JustID, LastID: a.LastID, Start: a.Start, ThenRead: a.ThenRead}
	}
	c.Cursors = cursorsOf(p.Cursors)
	return c
}

// cursorsOf returns cs as broker's cursors, in new memory (nil for nil).
func cursorsOf(cs []wal.Cursor) []Cursor {
	if cs == nil {
		return nil
	}
	out := make([]Cursor, len(cs))
	for i := range cs {
		out[i] = Cursor(cs[i])
	}
	return out
}

func walTrim(t Trim) wal.Trim {
	return wal.Trim{Strategy: wal.TrimStrategy(t.Strategy), Approx: t.Approx, MaxLen: t.MaxLen, MinID: t.MinID,
		MaxBytes: t.MaxBytes, Limit: t.Limit, Interest: t.Interest}
}

func trimOf(t wal.Trim) Trim {
	return Trim{Strategy: TrimStrategy(t.Strategy), Approx: t.Approx, MaxLen: t.MaxLen, MinID: t.MinID,
		MaxBytes: t.MaxBytes, Limit: t.Limit, Interest: t.Interest}
}

func walClaim(in *ClaimInput) wal.ClaimArgs {
	return wal.ClaimArgs{MinIdleMs: in.MinIdleMs, Delivery: wal.DeliveryKind(in.Delivery), DeliveryMs: in.DeliveryMs,
		RetryCount: in.RetryCount, Force: in.Force, JustID: in.JustID, LastID: in.LastID, Start: in.Start, ThenRead: in.ThenRead}
}

// resultOf fills r, which must be zero but for its Entries buffer, with
// p's results but a claim read's Claimed entries (claimedOf). Slices are
// shared. It assigns field by field: it runs for every command.
func resultOf(p *wal.Proposal, r *Result) {
	r.Err, r.ID, r.Incarnation, r.LastID, r.N, r.Skipped = p.Err, p.ID, p.Incarnation, p.LastID, p.N, p.Skipped
	r.Receivers, r.Created, r.ConsumerCreated, r.ConsumerDeleted = p.Receivers, p.Created, p.ConsumerCreated, p.ConsumerDeleted
	r.HeldBack = p.HeldBack
	r.IDs, r.Codes, r.Entries = p.IDs, p.Codes, Delivered(p.Entries)
	if a := p.Claim; a != nil {
		r.Next, r.Deleted, r.WakeMs = a.Next, a.Deleted, a.WakeMs
	}
}

// claimedOf returns a claim read's claimed entries, in new memory (nil
// when there are none).
func claimedOf(p *wal.Proposal) []ClaimedEntry {
	if p.Claim == nil || len(p.Claim.Claimed) == 0 {
		return nil
	}
	out := make([]ClaimedEntry, len(p.Claim.Claimed))
	for i, e := range p.Claim.Claimed {
		out[i] = ClaimedEntry(e)
	}
	return out
}

// Each calls fn for each delivered entry, in order, and returns how many
// it called it for. The entry and its fields (decoded into fields, which
// is reused) are valid during the call only.
func (d Delivered) Each(fields [][]byte, fn func(*Entry) error) (int, error) {
	return wal.Delivered(d).Each(fields, fn)
}

// Effective returns the limits that apply to a channel whose own
// overrides are r, given the server-wide defaults d: a channel's value
// wins when set; no limit is 0.
func (r Retention) Effective(d Retention) Retention {
	return Retention(wal.Retention(r).Effective(wal.Retention(d)))
}
