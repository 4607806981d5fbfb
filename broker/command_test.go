package broker

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// randomCommand fills every input with random values (each present about
// half the time), whatever kind it is: the codec must carry them all.
// Empty byte strings inside lists are non-nil, as the decoder returns them.
func randomCommand(rng *rand.Rand) Command {
	some := func() bool { return rng.IntN(2) == 0 }
	str := func() []byte {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	id := func() ID { return ID{Ms: rng.Uint64() >> rng.IntN(64), Seq: rng.Uint64() >> rng.IntN(64)} }
	i64 := func() int64 { return rng.Int64() - 1<<62 }
	c := Command{Kind: OpKind(1 + rng.IntN(int(maxOpKind)))}
	if some() {
		c.Channel = append(str(), 'c')
	}
	if some() {
		c.Spec = IDSpec{Auto: some(), SeqAuto: some(), ID: id()}
	}
	for range rng.IntN(4) * 2 {
		c.Fields = append(c.Fields, str())
	}
	c.NoCreate = some()
	if some() {
		c.Trim = Trim{Strategy: TrimStrategy(rng.IntN(4)), Approx: some(), MaxLen: rng.Uint64(), MinID: id(),
			MaxBytes: rng.Uint64(), Limit: i64(), Interest: some()}
	}
	for range rng.IntN(4) {
		c.IDs = append(c.IDs, id())
	}
	if some() {
		c.SetID = SetID{LastID: id(), EntriesAdded: rng.Uint64(), HasEntriesAdded: some(), MaxDeletedID: id(), HasMaxDeleted: some()}
	}
	if some() {
		c.Retention = Retention{MaxAgeMs: i64(), MaxLen: i64(), MaxBytes: i64(), Interest: some()}
	}
	if some() {
		c.Group, c.Consumer = append(str(), 'g'), append(str(), 'k')
	}
	c.Count, c.NoAck, c.MkStream, c.AtLastID, c.EntriesRead = int(i64()>>1), some(), some(), some(), i64()
	if some() {
		c.Config = &GroupConfig{AckWaitMs: i64(), MaxDeliver: i64(), DeadLetter: string(str())}
		for range rng.IntN(3) {
			c.Config.BackoffMs = append(c.Config.BackoffMs, i64())
		}
		if some() {
			c.Config.MaxPending = i64()
		}
	}
	if some() {
		c.MaxPending = i64()
	}
	if some() {
		c.Claim = &ClaimInput{MinIdleMs: i64(), Delivery: DeliveryKind(rng.IntN(3)), DeliveryMs: i64(), RetryCount: i64(),
			Force: some(), JustID: some(), LastID: id(), Start: id(), ThenRead: some()}
	}
	c.Ref = RefPolicy(rng.IntN(3))
	for range rng.IntN(3) {
		c.Cursors = append(c.Cursors, Cursor{Name: str(), Channel: str(), ID: id(), SeenMs: i64(), Incarnation: rng.Uint64(),
			Delete: some(), OnPattern: some(), Base: some(), Pattern: str()})
	}
	if some() {
		c.NodeLimits = NodeLimits{MaxEntries: i64(), MaxBytes: i64()}
	}
	c.WantEntries, c.Tag = some(), uint8(rng.IntN(3))
	return c
}

// TestCommandRoundTrip: every kind, with every input, decodes to what was
// encoded, and its encoding is canonical (encoding the decoded command
// gives the same bytes).
func TestCommandRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 1))
	seenKinds := map[OpKind]bool{}
	for i := 0; i < 5000; i++ {
		c := randomCommand(rng)
		seenKinds[c.Kind] = true
		enc := EncodeCommand(nil, &c)
		got, err := DecodeCommand(enc)
		if err != nil {
			t.Fatalf("command %d (%+v): %v", i, c, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("command %d:\n got  %+v\n want %+v", i, got, c)
		}
		if again := EncodeCommand(nil, &got); !bytes.Equal(again, enc) {
			t.Fatalf("command %d: encoding not canonical:\n %x\n %x", i, enc, again)
		}
	}
	if len(seenKinds) != int(maxOpKind) {
		t.Fatalf("only %d of %d kinds generated", len(seenKinds), maxOpKind)
	}
}

// TestBatchRoundTrip: a batch keeps its time and its commands in order.
func TestBatchRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := Batch{TimeMs: -5 + rng.Int64N(1<<50)}
	for range 40 {
		b.Commands = append(b.Commands, randomCommand(rng))
	}
	enc := EncodeBatch(nil, &b)
	got, err := DecodeBatch(enc)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("batch round trip: %v\n got  %+v\n want %+v", err, got, b)
	}
	if empty, err := DecodeBatch(EncodeBatch(nil, &Batch{TimeMs: 7})); err != nil || empty.TimeMs != 7 || len(empty.Commands) != 0 {
		t.Fatalf("empty batch: %+v %v", empty, err)
	}
}

// TestDecodeCommandRefuses: malformed encodings are ErrBadCommand.
func TestDecodeCommandRefuses(t *testing.T) {
	good := EncodeCommand(nil, &Command{Kind: OpAppend, Channel: []byte("ch"), Fields: [][]byte{[]byte("f"), []byte("v")}})
	cases := map[string][]byte{
		"empty":          {},
		"no kind":        {commandVersion},
		"version 2":      append([]byte{2}, good[1:]...),
		"kind 0":         {commandVersion, 0},
		"kind past last": {commandVersion, byte(maxOpKind + 1)},
		"unknown tag":    {commandVersion, byte(OpAppend), tagLast + 1},
		"tags out of order": append(EncodeCommand(nil, &Command{Kind: OpAppend, Group: []byte("g")}),
			tagChannel, 1, 'c'),
		"tag twice":      append(append([]byte(nil), good...), tagFields, 0),
		"truncated":      good[:len(good)-1],
		"long string":    {commandVersion, byte(OpAppend), tagChannel, 100, 'c'},
		"long list":      {commandVersion, byte(OpAppend), tagFields, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"unknown flag":   {commandVersion, byte(OpAppend), tagSpec, 4, 0, 0},
		"stray config":   {commandVersion, byte(OpGroupRead), tagConfigMaxPending, 2},
		"batch trailing": append(EncodeBatch(nil, &Batch{}), 0),
	}
	for name, b := range cases {
		var err error
		if name == "batch trailing" {
			_, err = DecodeBatch(b)
		} else {
			_, err = DecodeCommand(b)
		}
		if !errorsIsBad(err) {
			t.Errorf("%s (%x): %v, want ErrBadCommand", name, b, err)
		}
	}
}

func errorsIsBad(err error) bool { return errors.Is(err, ErrBadCommand) }

// FuzzDecodeCommand: decoding never panics, fails only with ErrBadCommand,
// and what it accepts encodes to bytes that decode to the same command and
// encode the same again.
func FuzzDecodeCommand(f *testing.F) {
	rng := rand.New(rand.NewPCG(9, 9))
	for range 16 {
		c := randomCommand(rng)
		f.Add(EncodeCommand(nil, &c))
	}
	b := Batch{TimeMs: 1, Commands: []Command{randomCommand(rng), randomCommand(rng)}}
	f.Add(EncodeBatch(nil, &b))
	f.Add([]byte{commandVersion, byte(OpAppend)})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, asBatch := range []bool{false, true} {
			var enc []byte
			if asBatch {
				got, err := DecodeBatch(data)
				if err != nil {
					if !errorsIsBad(err) {
						t.Fatalf("DecodeBatch(%x): %v", data, err)
					}
					continue
				}
				enc = EncodeBatch(nil, &got)
				again, err := DecodeBatch(enc)
				if err != nil || !bytes.Equal(EncodeBatch(nil, &again), enc) {
					t.Fatalf("batch %x re-encoded to %x: not stable (%v)", data, enc, err)
				}
				continue
			}
			got, err := DecodeCommand(data)
			if err != nil {
				if !errorsIsBad(err) {
					t.Fatalf("DecodeCommand(%x): %v", data, err)
				}
				continue
			}
			enc = EncodeCommand(nil, &got)
			again, err := DecodeCommand(enc)
			if err != nil || !bytes.Equal(EncodeCommand(nil, &again), enc) {
				t.Fatalf("command %x re-encoded to %x: not stable (%v)", data, enc, err)
			}
		}
	})
}
