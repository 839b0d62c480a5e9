#!/bin/bash
# tests/bench/bench_tunnel.sh - TCP throughput through the datapath
# runtime against plain veth and wireguard-go, in the same run.  Never a
# pass/fail test (DESIGN.md, Tests).  As root:
#
#     tests/bench/bench_tunnel.sh
#
# Namespaces red and blue joined by a veth (tests/netns/lib.sh); iperf3
# TCP from red to blue, BENCH_SECONDS (10) each, 1 and 4 streams, the
# median of BENCH_RUNS (3), for:
#   veth        plain veth, no encryption
#   esp         dp_pair (our runtime), tunnel mode, AES-128-GCM, raw ESP
#   esp-udp     the same in UDP (RFC 3948)
#   wireguard   wireguard-go (Debian's), same namespaces and veth
# Prints Gbit/s and the ratios esp / wireguard-go and esp / veth.
#
# DP_PAIR=path uses that dp_pair; otherwise a RelWithDebInfo build is
# made in build-bench.  PERF=1 records a system-wide profile (perf) during
# one 1-stream esp run and prints where the time goes.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/netns/lib.sh
SECS=${BENCH_SECONDS:-10}
RUNS=${BENCH_RUNS:-3}
MODES=${BENCH_MODES:-"veth esp esp-udp wireguard"}

[ "$(id -u)" = 0 ] || { echo "bench_tunnel.sh: run as root"; exit 1; }
need_pkgs iperf3 wireguard-go wireguard-tools python3
[ "${PERF:-0}" = 1 ] && need_pkgs linux-perf

if [ -z "${DP_PAIR:-}" ]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		> /dev/null || exit 1
	cmake --build build-bench --target dp_pair -j "$(nproc)" \
		> /dev/null || exit 1
	DP_PAIR=$ROOT/build-bench/datapath/dp_pair
fi

T=$(mktemp -d /tmp/bench_tunnel.XXXXXX)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2> /dev/null; done
	for p in $PIDS; do wait "$p" 2> /dev/null; done
	ns_teardown
	rm -rf "$T"
}
trap cleanup EXIT
ns_setup "-bench" || { echo "namespace setup failed"; exit 1; }

KEY_RB=0x4953000102030405060708090a0b0c0d0e0f1011
KEY_BR=0x4953a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1

stop_pids() {
	for p in $PIDS; do kill "$p" 2> /dev/null; done
	for p in $PIDS; do wait "$p" 2> /dev/null; done
	PIDS=
}

# Starts what a mode needs; sets DST (the iperf3 server address).
start_mode() {
	case $1 in
	veth)
		DST=$BLUE_V4
		;;
	esp | esp-udp)
		local encap=none
		[ "$1" = esp-udp ] && encap=udp
		local sa="mode=tunnel,enc=AES128GCM,encap=$encap"
		local rb="$sa,spi=0x1001,src=10.78.1.0/24,dst=10.78.2.0/24,tsrc=$RED_V4,tdst=$BLUE_V4,key=$KEY_RB"
		local br="$sa,spi=0x2001,src=10.78.2.0/24,dst=10.78.1.0/24,tsrc=$BLUE_V4,tdst=$RED_V4,key=$KEY_BR"
		ip netns exec "$RED" "$DP_PAIR" --ready "$T/red.ready" \
			--sa "$rb,dir=out" --sa "$br,dir=in" \
			--filter "src=10.78.1.0/24,dst=10.78.2.0/24,in=negotiate,out=negotiate,tunnel=$BLUE_V4" \
			--filter "src=10.78.2.0/24,dst=10.78.1.0/24,in=negotiate,out=negotiate,tunnel=$BLUE_V4" \
			--route "10.78.2.0/24,src=$RED_IN4" > "$T/red.log" 2>&1 &
		PIDS="$PIDS $!"
		ip netns exec "$BLUE" "$DP_PAIR" --ready "$T/blue.ready" \
			--sa "$br,dir=out" --sa "$rb,dir=in" \
			--filter "src=10.78.2.0/24,dst=10.78.1.0/24,in=negotiate,out=negotiate,tunnel=$RED_V4" \
			--filter "src=10.78.1.0/24,dst=10.78.2.0/24,in=negotiate,out=negotiate,tunnel=$RED_V4" \
			--route "10.78.1.0/24,src=$BLUE_IN4" > "$T/blue.log" 2>&1 &
		PIDS="$PIDS $!"
		for i in $(seq 50); do
			[ -e "$T/red.ready" ] && [ -e "$T/blue.ready" ] && break
			sleep 0.1
		done
		rm -f "$T/red.ready" "$T/blue.ready"
		DST=$BLUE_IN4
		;;
	wireguard)
		local rk bk
		rk=$(wg genkey) bk=$(wg genkey)
		# Distinct names: both daemons share /var/run/wireguard.
		WG_PROCESS_FOREGROUND=1 ip netns exec "$RED" wireguard-go wgred \
			> "$T/wgred.log" 2>&1 &
		PIDS="$PIDS $!"
		WG_PROCESS_FOREGROUND=1 ip netns exec "$BLUE" wireguard-go wgblue \
			> "$T/wgblue.log" 2>&1 &
		PIDS="$PIDS $!"
		for i in $(seq 50); do
			ip -n "$RED" link show wgred > /dev/null 2>&1 &&
				ip -n "$BLUE" link show wgblue > /dev/null 2>&1 && break
			sleep 0.1
		done
		echo "$rk" > "$T/rk"
		echo "$bk" > "$T/bk"
		ip netns exec "$RED" wg set wgred private-key "$T/rk" \
			listen-port 51820 peer "$(echo "$bk" | wg pubkey)" \
			endpoint $BLUE_V4:51820 allowed-ips 10.79.0.2/32
		ip netns exec "$BLUE" wg set wgblue private-key "$T/bk" \
			listen-port 51820 peer "$(echo "$rk" | wg pubkey)" \
			endpoint $RED_V4:51820 allowed-ips 10.79.0.1/32
		ip -n "$RED" addr add 10.79.0.1/24 dev wgred
		ip -n "$BLUE" addr add 10.79.0.2/24 dev wgblue
		ip -n "$RED" link set wgred up
		ip -n "$BLUE" link set wgblue up
		DST=10.79.0.2
		;;
	esac
	ip netns exec "$RED" ping -c 1 -W 3 "$DST" > /dev/null 2>&1 ||
		echo "  ($1: ping to $DST failed)"
}

# One iperf3 run: prints Gbit/s received.
iperf_once() {
	local streams=$1 out
	ip netns exec "$BLUE" iperf3 -s -1 -B "$DST" > /dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	out=$(ip netns exec "$RED" iperf3 -c "$DST" -t "$SECS" -P "$streams" -J 2> /dev/null)
	wait $srv 2> /dev/null
	echo "$out" | python3 -c '
import json, sys
try:
    print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0.00")'
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

declare -A RES
for mode in $MODES; do
	start_mode "$mode"
	for streams in 1 4; do
		vals=
		for r in $(seq "$RUNS"); do
			if [ "${PERF:-0}" = 1 ] && [ "$mode" = esp ] &&
				[ "$streams" = 1 ] && [ "$r" = 1 ]; then
				(sleep 2; perf record -a -g -o "$T/perf.data" \
					-- sleep 4 > /dev/null 2>&1) &
			fi
			vals="$vals $(iperf_once "$streams")"
		done
		RES[$mode,$streams]=$(median $vals)
		echo "  $mode, $streams stream(s): runs$vals Gbit/s, median ${RES[$mode,$streams]}"
	done
	stop_pids
	[ "$mode" = wireguard ] && { ip -n "$RED" link del wgred; ip -n "$BLUE" link del wgblue; } 2> /dev/null
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
echo
echo "iperf3 TCP red -> blue, $SECS s, median of $RUNS (Gbit/s)"
printf '%-12s %10s %10s\n' datapath "1 stream" "4 streams"
for mode in $MODES; do
	printf '%-12s %10s %10s\n' "$mode" "${RES[$mode,1]:-}" "${RES[$mode,4]:-}"
done
echo
for m in esp esp-udp; do
	case " $MODES " in *" $m "*) ;; *) continue ;; esac
	printf '%-8s / wireguard-go: %s (1 stream), %s (4 streams);  / veth: %s, %s\n' "$m" \
		"$(ratio "${RES[$m,1]}" "${RES[wireguard,1]:-0}")" \
		"$(ratio "${RES[$m,4]}" "${RES[wireguard,4]:-0}")" \
		"$(ratio "${RES[$m,1]}" "${RES[veth,1]:-0}")" \
		"$(ratio "${RES[$m,4]}" "${RES[veth,4]:-0}")"
done
if [ -e "$T/perf.data" ]; then
	echo
	echo "profile of a 1-stream esp run (perf, whole machine):"
	perf report -i "$T/perf.data" --no-children --sort comm,dso -q -g none 2> /dev/null | head -12
	perf report -i "$T/perf.data" --no-children --sort sym -q -g none 2> /dev/null | head -25
fi
