#!/usr/bin/env bash
# Writes the fixtures of this directory with a rewind binary that predates
# the replication-group key layout (see README.md): make.sh BINARY.
set -euo pipefail
bin=${1:?usage: make.sh REWIND-BINARY}
here=$(cd "$(dirname "$0")" && pwd)
port=${PORT:-7391}
cli() { # a command whose error reply stops the script
	local out
	out=$(redis-cli -p "$port" "$@")
	case $out in ERR* | WRONGTYPE* | NOGROUP* | BUSYGROUP*) echo "$* -> $out" >&2; exit 1 ;; esac
}

start() { # start DIR: a fresh server on DIR
	rm -rf "$1"
	"$bin" serve --dir "$1" --port "$port" --log-level warn &
	pid=$!
	for _ in $(seq 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && return; sleep 0.1; done
	echo "server did not start" >&2
	exit 1
}

# subscriber NAME: a named (resumable) subscriber on news and ev.*, kept
# connected while 3 messages reach it, then disconnected: its cursors are
# saved at the disconnect.
subscriber() {
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf 'CLIENT SETNAME %s\r\nSUBSCRIBE news\r\nPSUBSCRIBE ev.*\r\n' "$1" >&3
	sleep 0.5
	cli PUBLISH news during-1
	cli PUBLISH news during-2
	cli PUBLISH ev.a during-3
	sleep 1.5
	exec 3>&-
	sleep 0.5
}

write() {
	cli CONFIG SET stream-node-max-entries 4 stream-node-max-bytes 2048
	for i in $(seq 1 12); do cli XADD orders "1-$i" item "o$i" qty "$i"; done
	cli XDEL orders 1-2 1-5
	for i in $(seq 1 10); do cli XADD trimmed "2-$i" n "$i"; done
	cli XTRIM trimmed MAXLEN 4
	cli XADD setid 3-1 f v
	cli XSETID setid 9-9 ENTRIESADDED 20 MAXDELETEDID 5-5
	cli XADD gone 4-1 life one
	cli DEL gone
	cli XADD gone 4-2 life two
	cli PUBLISH news before-1
	cli PUBLISH news before-2
	cli XGROUP CREATE orders g1 0
	cli XREADGROUP GROUP g1 alice COUNT 3 STREAMS orders '>'
	cli XREADGROUP GROUP g1 bob COUNT 2 STREAMS orders '>'
	cli XACK orders g1 1-3
	cli XCLAIM orders g1 carol 0 1-4
	cli XGROUP CREATECONSUMER orders g1 erin
	cli XGROUP CREATE orders audit '$' ACKWAIT 3153600000000 MAXDELIVER 5 DEADLETTER dlq
	cli XGROUP SETCONFIG orders audit BACKOFF 3153600000000,3153600000001 MAXDELIVER 7 DEADLETTER dlq
	for i in $(seq 1 30); do cli XADD jobs "5-$i" job "j$i"; done
	cli XGROUP CREATE jobs workers 0
	cli XREADGROUP GROUP workers w1 COUNT 25 STREAMS jobs '>'
	cli XACK jobs workers 5-10 5-11
	cli XAUTOCLAIM jobs workers w2 0 5-20 COUNT 3
	cli RETENTION SET orders MAXLEN 100 INTEREST ON
	cli RETENTION SET news MAXAGE 31536000000000 MAXBYTES 1000000
	subscriber reader1
}

start "$here/clean"
write
kill -TERM "$pid"
wait "$pid"

start "$here/killed"
write
cli XADD orders 1-13 item o13 qty 13
kill -KILL "$pid"
wait "$pid" || true
rm -f "$here"/*/REWIND-PID "$here"/*/LOCK
