package resp

import (
	"strings"

	"github.com/rewind-mq/rewind/broker"
)

// Keyspace notifications, as Redis sends them (src/notify.c): CONFIG SET
// notify-keyspace-events takes Redis's class letters, and every write of a
// stream or generic command that Redis notifies (XADD, XTRIM, XDEL,
// XSETID, XGROUP ..., consumers created by XREADGROUP, XCLAIM and
// XAUTOCLAIM, DEL, and "new" for a created key) is published to
// __keyspace@0__:<key> (the event as message) and __keyevent@0__:<event>
// (the key as message). They are live only: delivered to the subscribers
// connected at that moment, once the write is durable and in the order of
// the writes, and appended to no channel's log (see broker/notify.go). The
// classes rewind has no keys for ($ l s h z x e d m) are accepted and
// never fire. With the default, "", the write path pays one atomic load per
// batch.

// Notification classes, Redis's bits.
const (
	notifyKeyspace = 1 << iota // K
	notifyKeyevent             // E
	notifyGeneric              // g
	notifyString               // $
	notifyList                 // l
	notifySet                  // s
	notifyHash                 // h
	notifyZSet                 // z
	notifyExpired              // x
	notifyEvicted              // e
	notifyStream               // t
	notifyKeyMiss              // m
	notifyModule               // d
	notifyNew                  // n

	// notifyAll is "A": every class but m and n.
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet |
		notifyExpired | notifyEvicted | notifyStream | notifyModule
)

// notifyLetters maps each class letter to its bits, in the order Redis
// writes them back (keyspaceEventsFlagsToString) after "A" or the classes.
var notifyLetters = []struct {
	letter byte
	bits   int
}{
	{'g', notifyGeneric}, {'$', notifyString}, {'l', notifyList}, {'s', notifySet},
	{'h', notifyHash}, {'z', notifyZSet}, {'x', notifyExpired}, {'e', notifyEvicted},
	{'t', notifyStream}, {'d', notifyModule}, {'n', notifyNew},
	{'K', notifyKeyspace}, {'E', notifyKeyevent}, {'m', notifyKeyMiss},
}

// parseNotifyFlags parses a notify-keyspace-events value.
func parseNotifyFlags(v string) (int, error) {
	flags := 0
	for i := 0; i < len(v); i++ {
		if v[i] == 'A' {
			flags |= notifyAll
			continue
		}
		bits := 0
		for _, l := range notifyLetters {
			if l.letter == v[i] {
				bits = l.bits
				break
			}
		}
		if bits == 0 {
			return 0, errNotifyClass
		}
		flags |= bits
	}
	return flags, nil
}

// notifyFlagsString is CONFIG GET's canonical form: "A" when every class
// of A is on (then, as in Redis, an "n" is not shown), else the classes;
// then K, E and m.
func notifyFlagsString(flags int) string {
	var sb strings.Builder
	all := flags&notifyAll == notifyAll
	if all {
		sb.WriteByte('A')
	}
	for _, l := range notifyLetters {
		isClass := l.bits&(notifyKeyspace|notifyKeyevent|notifyKeyMiss) == 0
		if flags&l.bits != 0 && !(all && isClass) {
			sb.WriteByte(l.letter)
		}
	}
	return sb.String()
}

// setNotifyFlags makes flags the server's notify-keyspace-events and
// installs the broker's notifier only when some event can fire.
func (s *Server) setNotifyFlags(flags int) {
	s.notifyFlags.Store(int32(flags))
	if flags&(notifyKeyspace|notifyKeyevent) == 0 || flags&(notifyGeneric|notifyStream|notifyNew) == 0 {
		s.b.SetNotifier(nil)
		return
	}
	var keyPrefixes []string
	if flags&notifyKeyspace != 0 {
		keyPrefixes = append(keyPrefixes, keyspacePrefix)
	}
	s.b.SetNotifier(func(kind broker.OpKind, channel []byte, r *broker.Result, n *broker.Notices) {
		keyspaceEvents(flags, kind, channel, r, n)
	}, keyPrefixes...)
}

// keyspacePrefix names the channel of a key's keyspace notifications.
const keyspacePrefix = "__keyspace@0__:"

// keyspaceEvents emits the notifications of one durable write (a command
// of kind on channel, with result p), in the order Redis emits them.
func keyspaceEvents(flags int, kind broker.OpKind, channel []byte, p *broker.Result, n *broker.Notices) {
	emit := func(class int, event string) {
		if flags&class == 0 {
			return
		}
		if flags&notifyKeyspace != 0 {
			n.Add(keyspacePrefix, channel, []byte(event))
		}
		if flags&notifyKeyevent != 0 {
			n.Add("__keyevent@0__:", []byte(event), channel)
		}
	}
	if p.Created {
		emit(notifyNew, "new")
	}
	switch kind {
	case broker.OpAppend:
		if !p.Skipped {
			emit(notifyStream, "xadd")
		}
		if p.N > 0 {
			emit(notifyStream, "xtrim")
		}
	case broker.OpTrim, broker.OpTrimRef:
		if p.N > 0 {
			emit(notifyStream, "xtrim")
		}
	case broker.OpDelete:
		if p.N > 0 {
			emit(notifyStream, "xdel")
		}
	case broker.OpDeleteEx, broker.OpAckDel:
		if deletedAny(p.Codes) {
			emit(notifyStream, "xdel")
		}
	case broker.OpDrop:
		if p.N > 0 {
			emit(notifyGeneric, "del")
		}
	case broker.OpSetID:
		emit(notifyStream, "xsetid")
	case broker.OpGroupCreate:
		emit(notifyStream, "xgroup-create")
	case broker.OpGroupSetID:
		emit(notifyStream, "xgroup-setid")
	case broker.OpGroupDestroy:
		if p.N > 0 {
			emit(notifyStream, "xgroup-destroy")
		}
	case broker.OpConsumerDelete:
		if p.ConsumerDeleted {
			emit(notifyStream, "xgroup-delconsumer")
		}
	}
	if p.ConsumerCreated {
		emit(notifyStream, "xgroup-createconsumer")
	}
}

// deletedAny reports whether an XDELEX or XACKDEL deleted an entry.
func deletedAny(codes []int8) bool {
	for _, c := range codes {
		if c == broker.CodeDeleted {
			return true
		}
	}
	return false
}
