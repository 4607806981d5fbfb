package resp

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/broker"
)

// TestNotifyFlags checks parsing and the canonical form of
// notify-keyspace-events against what redis-server 7.0.15 answers.
func TestNotifyFlags(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"KEA", "AKE"},
		{"Ag$lshzxeKEtmdn", "AKEm"}, // with A, Redis does not show n
		{"AKEmn", "AKEm"},
		{"KEmn", "nKEm"},
		{"mnEKd", "dnKEm"},
		{"ndt", "tdn"},
		{"dtexzhsl", "lshzxetd"},
		{"g$lshzxetd", "A"},
		{"$lg", "g$l"},
		{"Et", "tE"},
		{"KKEE", "KE"},
	} {
		flags, err := parseNotifyFlags(tc.in)
		if err != nil {
			t.Errorf("parse %q: %v", tc.in, err)
			continue
		}
		if got := notifyFlagsString(flags); got != tc.want {
			t.Errorf("%q reads back %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"a", "kea", "KEA,", "Kq", " "} {
		if _, err := parseNotifyFlags(bad); err != errNotifyClass {
			t.Errorf("parse %q: err %v, want %v", bad, err, errNotifyClass)
		}
	}
	// "A" and "n" keep n on even though it is not shown.
	if flags, _ := parseNotifyFlags("AKEn"); flags&notifyNew == 0 {
		t.Error("AKEn lost the n class")
	}
}

// TestNotifyConfigSetAtomic: CONFIG SET changes nothing unless every
// parameter is valid, and only a value that can fire installs a notifier.
func TestNotifyConfigSetAtomic(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	raw := ts.dialRawKeys(2)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"CONFIG", "SET", "notify-keyspace-events", "KEA", "maxclients", "5"},
			"-ERR CONFIG SET failed (possibly related to argument 'maxclients') - can't set immutable config\r\n"},
		{[]string{"CONFIG", "GET", "notify-keyspace-events"}, "*2\r\n" + ktBulk("notify-keyspace-events") + ktBulk("")},
		{[]string{"CONFIG", "SET", "notify-keyspace-events", "KEA", "maxclients", strconv.Itoa(ts.srv.limits.MaxClients)}, "+OK\r\n"},
		{[]string{"CONFIG", "GET", "notify-keyspace-events"}, "*2\r\n" + ktBulk("notify-keyspace-events") + ktBulk("AKE")},
		{[]string{"CONFIG", "SET", "notify-keyspace-events", "q"},
			"-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n"},
		{[]string{"CONFIG", "GET", "notify-keyspace-events"}, "*2\r\n" + ktBulk("notify-keyspace-events") + ktBulk("AKE")},
	} {
		if got := raw.do(tc.args...); got != tc.want {
			t.Errorf("%v:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
	for _, tc := range []struct {
		flags string
		on    bool
	}{{"KEA", true}, {"A", false}, {"KE", false}, {"KEl$shzxedm", false}, {"Kn", true}, {"Eg", true}, {"", false}} {
		if got := raw.do("CONFIG", "SET", "notify-keyspace-events", tc.flags); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET %q: %q", tc.flags, got)
		}
		if on := ts.b.Notifying(); on != tc.on {
			t.Errorf("notify-keyspace-events %q: notifier installed %v, want %v", tc.flags, on, tc.on)
		}
	}
}

func pmessage(pattern, channel, msg string) string {
	return "*4\r\n" + ktBulk("pmessage") + ktBulk(pattern) + ktBulk(channel) + ktBulk(msg)
}

func message(channel, msg string) string {
	return "*3\r\n" + ktBulk("message") + ktBulk(channel) + ktBulk(msg)
}

// TestNotifyOrder: a write's notifications follow the entries it appended
// and precede the next write's, across connections and in one pipeline;
// a PUBLISH emits none, as in Redis.
func TestNotifyOrder(t *testing.T) {
	ts := startServerForKeysTest(t, nil)
	sub := ts.dialRawKeys(2)
	sub.do("SUBSCRIBE", "s")
	sub.do("PSUBSCRIBE", "__keyevent@0__:*")
	w := ts.dialRawKeys(2)
	w.do("CONFIG", "SET", "notify-keyspace-events", "Egt")
	w.send("XADD", "s", "1-1", "message", "one")
	w.send("PUBLISH", "s", "two")
	w.send("XADD", "s", "MAXLEN", "1", "9999999999999-1", "message", "three") // after PUBLISH's ID
	w.send("DEL", "s")
	for _, want := range []string{"$3\r\n1-1\r\n", ":1\r\n", ktBulk("9999999999999-1"), ":1\r\n"} {
		if got := w.reply(); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
	}
	p := "__keyevent@0__:*"
	for i, want := range []string{
		message("s", "one"), pmessage(p, "__keyevent@0__:xadd", "s"),
		message("s", "two"),
		message("s", "three"), pmessage(p, "__keyevent@0__:xadd", "s"), pmessage(p, "__keyevent@0__:xtrim", "s"),
		pmessage(p, "__keyevent@0__:del", "s"),
	} {
		if got := sub.reply(); got != want {
			t.Fatalf("push %d: %q, want %q", i, got, want)
		}
	}
	if got := sub.do("PING"); got != "*2\r\n"+ktBulk("pong")+ktBulk("") {
		t.Fatalf("after the pushes: %q", got)
	}
}

// TestNotifyResumable: a resumable (named) subscriber receives
// notifications while connected, but they are in no log and move no
// cursor, so a resume sends only the logged messages it missed.
func TestNotifyResumable(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.ResumeNames = "*" })
	const p, ch = "__keyspace@0__:*", "__keyspace@0__:s"
	w := ts.dialRawKeys(2)
	w.do("CONFIG", "SET", "notify-keyspace-events", "Kt")

	sub := ts.dialRawKeys(2)
	sub.do("CLIENT", "SETNAME", "app")
	sub.do("PSUBSCRIBE", p)
	w.do("XADD", "s", "1-1", "a", "1")
	w.do("PUBLISH", ch, "logged-1")
	for i, want := range []string{pmessage(p, ch, "xadd"), pmessage(p, ch, "logged-1")} {
		if got := sub.reply(); got != want {
			t.Fatalf("push %d: %q, want %q", i, got, want)
		}
	}
	sub.do("PUNSUBSCRIBE", p) // saves the cursors
	_ = sub.nc.Close()

	w.do("XADD", "s", "2-1", "a", "1") // its notification is lost
	w.do("PUBLISH", ch, "logged-2")

	again := ts.dialRawKeys(2)
	again.do("CLIENT", "SETNAME", "app")
	again.do("PSUBSCRIBE", p)
	if got, want := again.reply(), pmessage(p, ch, "logged-2"); got != want {
		t.Fatalf("resume: %q, want %q", got, want)
	}
	w.do("XADD", "s", "3-1", "a", "1")
	if got, want := again.reply(), pmessage(p, ch, "xadd"); got != want {
		t.Fatalf("live after resume: %q, want %q", got, want)
	}
	if n := w.do("XLEN", ch); n != ":2\r\n" {
		t.Fatalf("XLEN of the notification channel = %q: only the PUBLISHes are logged", n)
	}
}

// TestNotifyConfigAtStart: Config.NotifyKeyspaceEvents (serve
// --notify-keyspace-events) is the value at start; a bad one fails Listen.
func TestNotifyConfigAtStart(t *testing.T) {
	ts := startServerForKeysTest(t, func(_ *broker.Config, c *Config) { c.NotifyKeyspaceEvents = "KEt" })
	raw := ts.dialRawKeys(2)
	if got, want := raw.do("CONFIG", "GET", "notify-keyspace-events"), "*2\r\n"+ktBulk("notify-keyspace-events")+ktBulk("tKE"); got != want {
		t.Fatalf("CONFIG GET = %q, want %q", got, want)
	}
	if !ts.b.Notifying() {
		t.Fatal("no notifier installed at start")
	}
	if _, err := Listen(Config{Addr: "127.0.0.1:0", Broker: ts.b, NotifyKeyspaceEvents: "KEq"}); err == nil ||
		!strings.Contains(err.Error(), "Invalid event class character") {
		t.Fatalf("Listen with a bad value: %v", err)
	}
}
