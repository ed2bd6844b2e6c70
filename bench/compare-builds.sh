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
#   PEER    a peer implementation to measure too (gobwas, gws, raw, ...);
#           default none
#
# Example: the working tree against main, and gobwas/ws, at 1 × 1 MiB:
#   SIZE=1048576 CONNS=1 PEER=gobwas ./compare-builds.sh main .
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
size=${SIZE:-65536}
conns=${CONNS:-64}
warm=${WARM:-500ms}
measure=${MEASURE:-1s}
rounds=${ROUNDS:-8}
peer=${PEER:-}

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
if [ -n "$peer" ]; then
	bins+=("$tmp/driver")
	names+=("$peer")
	impls+=("$peer")
fi

# measure I: one fresh server of entry I, and its round trips per second.
measure() {
	local flags=()
	[ "${impls[$1]}" = raw ] && flags=(-raw)
	coproc SERVER { GOMAXPROCS=1 "${bins[$1]}" serve -impl "${impls[$1]}" -cpu 0 2>/dev/null; }
	local addr
	read -r addr <&"${SERVER[0]}"
	GOMAXPROCS=1 taskset -c 1 "$tmp/driver" drive -addr "$addr" -conns "$conns" -size "$size" -warm "$warm" -measure "$measure" "${flags[@]}"
	exec {SERVER[1]}>&-
	wait "$SERVER_PID"
}

echo "$size B × $conns connections, $rounds rounds of $warm warm-up and $measure measured per server"
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
