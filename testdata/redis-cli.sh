#!/usr/bin/env bash
# Drives a running server with the real redis-cli and compares every output
# exactly. Usage: redis-cli.sh PORT. Run by TestRedisCLI (resp/conn_test.go)
# against `rewind serve`. Against an empty redis-server 7 every check passes
# but the two marked "rewind only" (where a PUBLISH is also a stream entry).
set -euo pipefail

port=${1:?usage: redis-cli.sh PORT}
cli() { redis-cli -p "$port" "$@"; }
fail=0
expect() { # expect NAME WANT GOT
	if [[ "$3" != "$2" ]]; then
		printf 'FAIL %s\n  want: %q\n  got:  %q\n' "$1" "$2" "$3" >&2
		fail=1
	else
		printf 'ok   %s\n' "$1"
	fi
}

expect ping PONG "$(cli PING)"
expect ping-arg 'hello world' "$(cli PING 'hello world')"
expect echo 'a "quoted" word' "$(cli ECHO 'a "quoted" word')"
expect unknown "ERR unknown command 'NOSUCH', with args beginning with: 'x' " "$(cli NOSUCH x)"
expect arity "ERR wrong number of arguments for 'publish' command" "$(cli PUBLISH news)"

# PUBLISH with nobody listening, then with a subscriber (redis-cli in the
# background, stopped by timeout at the latest).
expect publish-nobody 0 "$(cli PUBLISH news first)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 10 redis-cli -p "$port" SUBSCRIBE news >"$out" &
sub=$!
for _ in $(seq 200); do
	[[ "$(cli PUBSUB NUMSUB news)" == $'news\n1' ]] && break
	sleep 0.05
done
expect numsub $'news\n1' "$(cli PUBSUB NUMSUB news)"
expect publish-one 1 "$(cli PUBLISH news 'breaking story')"
expect publish-two 1 "$(cli PUBLISH news second)"
for _ in $(seq 200); do
	[[ $(wc -l <"$out") -ge 9 ]] && break
	sleep 0.05
done
kill "$sub" 2>/dev/null || true
wait "$sub" 2>/dev/null || true
expect subscribe $'subscribe\nnews\n1\nmessage\nnews\nbreaking story\nmessage\nnews\nsecond' "$(cat "$out")"

# Streams: explicit IDs, so that the output is exact.
expect xadd 1-1 "$(cli XADD orders 1-1 item book qty 2)"
expect xadd-2 1-2 "$(cli XADD orders 1-2 item pen)"
expect xadd-small 'ERR The ID specified in XADD is equal or smaller than the target stream top item' "$(cli XADD orders 1-1 item x)"
expect xlen 2 "$(cli XLEN orders)"
expect xrange $'1-1\nitem\nbook\nqty\n2\n1-2\nitem\npen' "$(cli XRANGE orders - +)"
expect xrevrange $'1-2\nitem\npen' "$(cli XREVRANGE orders + - COUNT 1)"
expect xread $'orders\n1-2\nitem\npen' "$(cli XREAD COUNT 5 STREAMS orders 1-1)"
expect xread-none '' "$(cli XREAD STREAMS orders 1-2)"
expect xread-block-timeout '' "$(cli XREAD BLOCK 50 STREAMS orders '$')"
# rewind only: a PUBLISH is an entry of the channel's log, field "message".
expect publish-log $'news\nfirst' "$(cli XRANGE news - + COUNT 1 | sed -n '1s/^[0-9]*-[0-9]*$/news/p;3p')"
# RESP3 (redis-cli -3): XREAD is a map.
expect xread-resp3 $'orders 1-2\nitem\npen' "$(redis-cli -3 -p "$port" XREAD STREAMS orders 1-1)"

# rewind only: a blocked XREAD is woken by a PUBLISH from another client.
timeout 10 redis-cli -p "$port" XREAD BLOCK 9000 STREAMS news '$' >"$out" &
rd=$!
# Publish until it is woken: it may not be blocked yet when the first lands.
for _ in $(seq 100); do
	cli PUBLISH news wake >/dev/null
	kill -0 "$rd" 2>/dev/null || break
	sleep 0.1
done
wait "$rd" || true
expect xread-woken wake "$(sed -n 4p "$out")"

exit "$fail"
