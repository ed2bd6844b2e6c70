#!/bin/bash
# trace-echo.sh IMPL [SIZE]
#
# Shows where the time of one echo round trip goes, on one connection,
# for the server of IMPL (wsx, gobwas, gws, raw, ...) and the harness's
# load client. The server runs pinned to CPU 0 and the client
# (`bench drive -measure`) to CPU 1, both with GOMAXPROCS=1, as in the
# harness; during the measuring window perf records their system calls
# for TRACE seconds (default 0.3) through the syscall tracepoints, and
# `bench timeline` cuts each side's calls into round trips and prints the
# medians of its phases: receiving, turning around, sending and waiting.
# Tracing slows both sides, so compare implementations traced alike,
# never with untraced rates. Needs perf (Debian package linux-perf) and
# root.
set -euo pipefail
impl=${1:?usage: trace-echo.sh IMPL [SIZE]}
size=${2:-1048576}
trace=${TRACE:-0.3}
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bench" .

flags=()
[ "$impl" = raw ] && flags=(-raw)
coproc SERVER { exec env GOMAXPROCS=1 "$tmp/bench" serve -impl "$impl" -cpu 0 2>/dev/null; }
server=$SERVER_PID
read -r addr <&"${SERVER[0]}"
GOMAXPROCS=1 taskset -c 1 "$tmp/bench" drive -addr "$addr" -conns 1 -size "$size" -warm 1s -measure 2s "${flags[@]}" >"$tmp/rate" &
client=$!
sleep 1.3
events=()
for s in read readv recvfrom write writev sendto sendmsg epoll_pwait futex nanosleep; do
	events+=(-e "syscalls:sys_enter_$s" -e "syscalls:sys_exit_$s")
done
perf record -q "${events[@]}" -a -o "$tmp/perf.data" -- sleep "$trace" 2>/dev/null
wait "$client"
exec {SERVER[1]}>&-
wait "$server"
echo "$impl, $size B × 1 connection: $(cat "$tmp/rate") round trips/s over the window, traced for ${trace}s of it"
perf script -i "$tmp/perf.data" -F pid,tid,time,event,trace 2>/dev/null |
	"$tmp/bench" timeline -server "$server" -client "$client"
