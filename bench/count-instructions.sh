#!/bin/bash
# count-instructions.sh IMPL [SIZE] [CONNS]
#
# Counts the user-space instructions an echo server spends per message,
# under valgrind's callgrind (Debian package valgrind): the server of IMPL
# (wsx, gobwas, gws, ...) echoes SIZE-byte messages (default 16) on CONNS
# connections (default 64), once for 200 round trips per connection and
# once for 2200; the difference, divided by the 2000 × CONNS extra
# messages, leaves out start-up and handshakes. Kernel work is not
# counted. Unlike a timed benchmark, the count barely moves between runs,
# so it shows changes of 1% on a noisy machine. Set KEEP=1 to keep the
# callgrind files (callgrind.IMPL.N) for callgrind_annotate.
set -euo pipefail
impl=${1:?usage: count-instructions.sh IMPL [SIZE] [CONNS]}
size=${2:-16}
conns=${3:-64}
cd "$(dirname "$0")"
bin=$(mktemp -d)/bench
go build -o "$bin" .

# count N: total instructions of the server for N round trips per connection
count() {
	local out=callgrind.$impl.$1
	coproc SERVER { GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve -impl "$impl" 2>/dev/null; }
	local addr
	read -r addr <&"${SERVER[0]}"
	"$bin" drive -addr "$addr" -conns "$conns" -size "$size" -n "$1"
	exec {SERVER[1]}>&-
	wait "$SERVER_PID"
	awk '/^summary:/ {print $2}' "$out"
	[ -n "${KEEP:-}" ] || rm -f "$out"
}
few=$(count 200)
many=$(count 2200)
echo "$impl $size B × $conns connections: $(( (many - few) / (2000 * conns) )) instructions per message"
