#!/bin/bash
# compare-builds.sh BUILD [BUILD...]
#
# Compares the echo speed of wsx servers built from different revisions of
# the repository, as paired measurements. A BUILD is a git revision (main,
# HEAD~1, a commit) or "." for the working tree as it is. Each round
# measures every build's server once, in turn, and then PEER's if set. A
# measurement is one of the harness's echo measurements: a fresh server
# pinned to CPU 0, and the harness's load client (`bench drive -measure`)
# pinned to CPU 1, both with GOMAXPROCS=1, a warm-up and then a timed
# window. The client, and PEER's server, are built from the working tree,
# so only wsx's server differs between builds.
#
# The machine's speed drifts over minutes, so the summary compares within
# rounds: for each server, the median over rounds of its rate divided by
# the first build's rate in the same round, and in how many rounds it was
# faster. A change of a few percent shows in the ratio long before it
# shows in the medians of two separate runs.
#
# Settings, from the environment:
#   SIZE    message size in bytes (default 65536)
#   CONNS   connections (default 64)
#   WARM    warm-up of each measurement (default 500ms)
#   MEASURE measuring window of each measurement (default 1s)
#   ROUNDS  rounds (default 8)
#   PEER    peer implementations to measure too, separated by commas
#           (gobwas, gws, raw, ...); default none
#   ALIVE   if 1, start every server once and keep them all running: each
#           round then measures them in turn on servers that stay up, and
#           WARM, MEASURE and ROUNDS default to 100ms, 400ms and 16. Short
#           windows close together are steadier on a machine whose speed
#           drifts. Fresh servers per measurement (the default, as in the
#           harness) also sample whatever differs between processes: at
#           64 × 64 KiB, fresh-process rounds have given one server about
#           18k or about 32k round trips per second, by turns.
#
# Examples: the working tree against main, and gobwas/ws, at 1 × 1 MiB;
# and main against two peers at 64 × 16 B on servers kept alive:
#   SIZE=1048576 CONNS=1 PEER=gobwas ./compare-builds.sh main .
#   SIZE=16 ALIVE=1 PEER=gobwas,gws ./compare-builds.sh main
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
size=${SIZE:-65536}
conns=${CONNS:-64}
alive=${ALIVE:-}
if [ "$alive" = 1 ]; then
	warm=${WARM:-100ms}
	measure=${MEASURE:-400ms}
	rounds=${ROUNDS:-16}
else
	warm=${WARM:-500ms}
	measure=${MEASURE:-1s}
	rounds=${ROUNDS:-8}
fi
peers=${PEER:-}

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$bench/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The client, and the peer's server: the working tree's bench binary.
(cd "$bench" && go build -o "$tmp/driver" .)
# One bench binary per BUILD: bin[i] serves wsx as built from BUILD i.
bins=()
names=()
for build in "$@"; do
	i=${#bins[@]}
	if [ "$build" = . ]; then
		(cd "$bench" && go build -o "$tmp/bench$i" .)
	else
		git -C "$repo" worktree add -q --detach "$tmp/tree$i" "$build"
		(cd "$tmp/tree$i/bench" && go build -o "$tmp/bench$i" .)
		git -C "$repo" worktree remove --force "$tmp/tree$i"
	fi
	bins+=("$tmp/bench$i")
	names+=("wsx@$build")
done
impls=()
for _ in "${bins[@]}"; do impls+=(wsx); done
IFS=, read -ra peerList <<<"$peers"
for peer in "${peerList[@]}"; do
	bins+=("$tmp/driver")
	names+=("$peer")
	impls+=("$peer")
done

# drive I ADDR: the client's measurement of the server of entry I at ADDR,
# in round trips per second.
drive() {
	local flags=()
	[ "${impls[$1]}" = raw ] && flags=(-raw)
	GOMAXPROCS=1 taskset -c 1 "$tmp/driver" drive -addr "$2" -conns "$conns" -size "$size" -warm "$warm" -measure "$measure" "${flags[@]}"
}

# measure I: one fresh server of entry I, and its round trips per second.
measure() {
	coproc SERVER { GOMAXPROCS=1 "${bins[$1]}" serve -impl "${impls[$1]}" -cpu 0 2>/dev/null; }
	local addr
	read -r addr <&"${SERVER[0]}"
	drive "$1" "$addr"
	exec {SERVER[1]}>&-
	wait "$SERVER_PID"
}

if [ "$alive" = 1 ]; then
	# Every server runs from here to the end of the script, reading its
	# standard input from a FIFO whose writing end the script holds;
	# closing that end stops it.
	addrs=()
	stdins=()
	pids=()
	for i in "${!bins[@]}"; do
		mkfifo "$tmp/in$i"
		GOMAXPROCS=1 "${bins[$i]}" serve -impl "${impls[$i]}" -cpu 0 <"$tmp/in$i" >"$tmp/out$i" 2>"$tmp/err$i" &
		pids+=($!)
		exec {fd}>"$tmp/in$i"
		stdins+=("$fd")
		until [ -s "$tmp/out$i" ]; do
			if ! kill -0 "${pids[$i]}" 2>/dev/null; then
				echo "the ${names[$i]} server did not start: $(cat "$tmp/err$i")" >&2
				exit 1
			fi
			sleep 0.05
		done
		addrs+=("$(head -n 1 "$tmp/out$i")")
	done
	stopServers() {
		for fd in "${stdins[@]}"; do exec {fd}>&-; done
		wait "${pids[@]}"
	}
	measure() { drive "$1" "${addrs[$1]}"; }
fi

echo "$size B × $conns connections, $rounds rounds of $warm warm-up and $measure measured per server${alive:+, servers kept alive}"
printf 'round'; printf '\t%s' "${names[@]}"; echo
for r in $(seq "$rounds"); do
	printf '%s' "$r"
	for i in "${!bins[@]}"; do
		rate=$(measure "$i")
		printf '\t%s' "$rate"
		echo "$i $r $rate" >>"$tmp/rates"
	done
	echo
done
[ "$alive" = 1 ] && stopServers

# median: the median of the numbers on standard input.
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo
printf '%-24s %12s %16s %8s\n' server "median rt/s" "×${names[0]}" faster
for i in "${!bins[@]}"; do
	med=$(awk -v i="$i" '$1 == i {print $3}' "$tmp/rates" | median)
	ratios=$(awk -v i="$i" '$1 == 0 {base[$2] = $3} $1 == i {rate[$2] = $3} END {for (r in rate) printf "%.4f\n", rate[r] / base[r]}' "$tmp/rates")
	ratio=$(median <<<"$ratios")
	wins=$(awk '$1 > 1' <<<"$ratios" | wc -l)
	printf '%-24s %12.0f %16.3f %8s\n' "${names[$i]}" "$med" "$ratio" "$wins/$rounds"
done
