#!/bin/bash
# tests/bench/bench_ike.sh - IKEv1 negotiation rate (issue 4): fresh Main
# Mode + Quick Mode setups per second with a pre-shared key and ECP-256,
# against ipsecsh's service and against strongSwan's charon as the
# responder, in the same run.  Never a pass/fail test (DESIGN.md, Tests).
# As root:
#
#     tests/bench/bench_ike.sh
#
# Two namespaces joined by a veth: the responder in one (10.90.0.1), the
# load generator ike_load (tests/bench/ike_load.c, N real initiators on
# engine/ike.h in one process) in the other, each peer from its own
# address in 10.91.0.0/16 (a `local` route on lo makes them all ours).
# For each N (BENCH_N: 300 1000 2000), BENCH_RUNS (3) times, each
# responder is started fresh and the N peers start:
#   - all at once (window 0: the issue's "N concurrent fresh peers"; a
#     lost datagram costs the initiator's 2 s retransmission), and
#   - at most 64 negotiations in flight (window 64: the responder's
#     capacity without losses).
# setups/s = N / the time from the first acquire until both sides hold
# all N pairs: the initiators' last install (ike_load), plus the time
# until the responder has them too (a responder still working through
# its queue, or waiting for a lost quick mode message 3), polled every
# 50 ms.  In brackets: until the initiators hold them, as the lab's
# charon-to-charon baseline counted.  The responder's memory per
# established SA pair is its VmRSS after the run minus before, divided by
# N; its CPU per setup is its user + system time over the run divided by
# N; "drops" are the UDP datagrams its namespace dropped for a full
# socket buffer.
#
# Both responders: PSK, AES-128-CBC / SHA2-256 / ECP-256 (group 19), ESP
# AES-128-GCM-16, no PFS, host to host, one main mode and one quick mode
# per peer.  What differs, because charon's userspace datapath demands it
# (see /work/shared/lab/README.md):
#   ipsecsh   transport mode, IKE stays on UDP 500 (BENCH_NATT=1: the
#             generator forces NAT-T as charon does: float to 4500 and
#             ESP-in-UDP; IKE on 4500 then reaches the negotiator through
#             the driver's queue)
#   charon    kernel-libipsec (a TUN device) with tunnel mode; it fakes
#             its NAT-D hash, so IKE floats to 4500 at message 5 and the
#             SAs are ESP-in-UDP; install_routes as in the lab
# Neither responder is tuned: the service as `service start` makes it,
# charon 5.9.8 with its defaults.
#
# Settings (environment):
#   BENCH_N           the peer counts [300 1000 2000]
#   BENCH_RUNS        runs per count and responder [3]
#   BENCH_RESPONDERS  [ipsecsh charon]
#   BENCH_WINDOWS     negotiations in flight at most, 0 = all at once
#                     ["0 64"]
#   BENCH_TIMEOUT     seconds a run may take [40]
#   BENCH_NATT        1: ike_load forces NAT-T against ipsecsh too [0]
#   IPSECSH, IKE_LOAD binaries to use; otherwise a Release build is made
#                     in build-bench
#   PERF=1            profiles the service (perf) during its first run at
#                     the largest N and prints where the time goes
# Runtime: about 4 minutes with the defaults on 2 cores.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
. tests/netns/lib.sh
NS_LIST=${BENCH_N:-"300 1000 2000"}
RUNS=${BENCH_RUNS:-3}
RESPONDERS=${BENCH_RESPONDERS:-"ipsecsh charon"}
WINDOWS=${BENCH_WINDOWS:-"0 64"}
TIMEOUT=${BENCH_TIMEOUT:-40}
PSK="bench ike secret"
RESP_ADDR=10.90.0.1 LOAD_ADDR=10.90.0.2 LOAD_NET=10.91.0.0/16

[ "$(id -u)" = 0 ] || { echo "bench_ike.sh: run as root"; exit 1; }
case " $RESPONDERS " in *" charon "*)
	[ -x /usr/lib/ipsec/charon ] && command -v swanctl > /dev/null || {
		echo "bench_ike.sh: strongSwan is not installed; see" \
			"/work/shared/lab/README.md (or BENCH_RESPONDERS=ipsecsh)"
		exit 1
	} ;;
esac
[ "${PERF:-0}" = 1 ] && need_pkgs linux-perf

if [ -z "${IPSECSH:-}" ] || [ -z "${IKE_LOAD:-}" ]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release > /dev/null ||
		exit 1
	cmake --build build-bench --target ipsecsh ike_load -j "$(nproc)" \
		> /dev/null || exit 1
	IPSECSH=${IPSECSH:-$ROOT/build-bench/ipsecsh}
	IKE_LOAD=${IKE_LOAD:-$ROOT/build-bench/engine/ike_load}
fi

T=$(mktemp -d /tmp/bench_ike.XXXXXX)
chmod 755 "$T"
L=ikeload$$ R=ikeresp$$
RESP_PID=
cleanup() {
	stop_responder
	ip netns del "$L" 2> /dev/null
	ip netns del "$R" 2> /dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_ns() {
	ip netns add "$L" && ip netns add "$R" &&
	ip link add "vl$$" type veth peer name "vr$$" &&
	ip link set "vl$$" netns "$L" && ip link set "vr$$" netns "$R" &&
	ip -n "$L" link set "vl$$" name veth0 &&
	ip -n "$R" link set "vr$$" name veth0 &&
	ip -n "$L" link set lo up && ip -n "$R" link set lo up &&
	ip -n "$L" link set veth0 up && ip -n "$R" link set veth0 up &&
	ip -n "$L" addr add $LOAD_ADDR/24 dev veth0 &&
	ip -n "$R" addr add $RESP_ADDR/24 dev veth0 &&
	# Every address of the load prefix is local to the generator.
	ip -n "$L" route add local $LOAD_NET dev lo &&
	ip -n "$R" route add $LOAD_NET via $LOAD_ADDR
}
setup_ns || { echo "bench_ike.sh: namespace setup failed"; exit 1; }

# ---- responders ----------------------------------------------------------

sh_r() { ip netns exec "$R" "$IPSECSH" --socket "$T/r.sock" "$@"; }

start_ipsecsh() {
	sh_r service start > "$T/start.log" 2>&1 &&
	sh_r ipsec dynamic add mmpolicy name=MM mmsec="AES128-SHA256-19" &&
	sh_r ipsec dynamic add qmpolicy name=QM qmsec="ESP[AES128GCM]" &&
	sh_r ipsec dynamic add rule srcaddr=$RESP_ADDR dstaddr=${LOAD_NET%/*} \
		dstmask=${LOAD_NET#*/} mmpolicy=MM qmpolicy=QM psk="$PSK" ||
		return 1
	RESP_PID=$(cat "$T/r.sock.pid")
}

charon_conf() {
	local d=$T/ss
	mkdir -p "$d/run" "$d/swanctl"
	for x in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private \
		rsa ecdsa bliss pkcs8 pkcs12; do
		mkdir -p "$d/swanctl/$x"
	done
	ln -sf /usr/lib/ipsec/charon "$d/ss-charon"
	# kernel-libipsec before kernel-netlink (the userspace datapath);
	# allow_peer_ts: the selectors are the IKE peers themselves.
	cat > "$d/strongswan.conf" <<EOF
charon {
	load = random nonce openssl kernel-libipsec kernel-netlink socket-default vici
	install_routes = yes
	plugins {
		vici {
			socket = unix://$d/vici
		}
		kernel-libipsec {
			allow_peer_ts = yes
		}
	}
	filelog {
		ss-charon {
			path = $d/charon.log
			default = 0
			ike = 0
			cfg = 0
			knl = 0
		}
	}
}
EOF
	cat > "$d/swanctl/swanctl.conf" <<EOF
connections {
	bench {
		version = 1
		aggressive = no
		local_addrs = $RESP_ADDR
		remote_addrs = $LOAD_NET
		proposals = aes128-sha256-ecp256
		local {
			auth = psk
			id = $RESP_ADDR
		}
		remote {
			auth = psk
		}
		children {
			host {
				mode = tunnel
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-any {
		secret = "$PSK"
	}
}
EOF
}

swanctl_r() {
	ip netns exec "$R" env STRONGSWAN_CONF="$T/ss/strongswan.conf" \
		swanctl "$@" --uri "unix://$T/ss/vici"
}

start_charon() {
	local d=$T/ss
	[ -d "$d" ] || charon_conf
	rm -f "$d/vici"
	# charon's own IKE must not follow the per-peer routes into ipsec0
	# (the lab's strongswan-peer.sh does the same).
	ip -n "$R" rule add pref 100 ipproto udp sport 500 lookup main
	ip -n "$R" rule add pref 101 ipproto udp sport 4500 lookup main
	# A private /run: charon hard-codes /var/run/charon.pid.
	ip netns exec "$R" sh -c 'mount --bind "$1/run" /run &&
		STRONGSWAN_CONF="$1/strongswan.conf" exec "$1/ss-charon"' \
		bench "$d" > "$d/charon.out" 2>&1 < /dev/null &
	RESP_PID=$!
	for _ in $(seq 50); do
		[ -S "$d/vici" ] && break
		sleep 0.1
	done
	swanctl_r --load-all --file "$d/swanctl/swanctl.conf" \
		> "$d/load.log" 2>&1
}

stop_responder() {
	[ -n "$RESP_PID" ] || return 0
	if [ "$(cat /proc/"$RESP_PID"/comm 2> /dev/null)" = ss-charon ]; then
		kill -TERM "$RESP_PID"
		for _ in $(seq 50); do
			kill -0 "$RESP_PID" 2> /dev/null || break
			sleep 0.1
		done
		kill -KILL "$RESP_PID" 2> /dev/null
		wait "$RESP_PID" 2> /dev/null
		ip -n "$R" rule del pref 100 2> /dev/null
		ip -n "$R" rule del pref 101 2> /dev/null
	elif [ -e "$T/r.sock.pid" ]; then
		sh_r service stop > /dev/null 2>&1
	fi
	RESP_PID=
	# Let the next responder start with the kernel's state settled.
	sleep 0.3
}

# Pairs the responder holds: charon routes each CHILD_SA's remote
# selector into ipsec0 (table 220), which costs charon nothing to count;
# the service says it in show stats.
responder_pairs() {
	if [ "$1" = charon ]; then
		ip -n "$R" route show table 220 2> /dev/null | grep -c ipsec0
	else
		sh_r ipsec dynamic show stats format=json 2> /dev/null |
			grep -o '"key_additions": *[0-9]*' | head -1 |
			grep -o '[0-9]*$' 
	fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2> /dev/null || echo 0; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2> /dev/null || echo 0; }
# UDP datagrams the responder's namespace dropped for a full socket.
rcvbuf_errors() {
	ip netns exec "$R" awk '/^Udp:/ { if (h) print $6; h = 1 }' /proc/net/snmp
}
kv() { # KEY LINE: the value of KEY=value in a line of ike_load
	echo "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'
}

median() { [ $# = 0 ] && { echo -; return; }; printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

HZ=$(getconf CLK_TCK)
MAXN=$(printf '%s\n' $NS_LIST | sort -g | tail -1)
declare -A RATE IRATE MEM CPU
PROFILED=

# One run: prints a line and appends the figures to RATE, MEM, CPU.
run_once() {
	local resp=$1 w=$2 n=$3 run=$4 args r0 r1 c0 c1 e0 e1 out pairs
	local rate mem cpu perfpid=
	if [ "$resp" = charon ]; then
		start_charon
		args=--tunnel
	else
		start_ipsecsh
		args=
		[ "${BENCH_NATT:-0}" = 1 ] && args=--natt
	fi
	[ -n "$RESP_PID" ] && kill -0 "$RESP_PID" 2> /dev/null || {
		echo "  $resp: the responder did not start"
		RESP_PID=
		return 1
	}
	sleep 0.5
	r0=$(rss_kb "$RESP_PID") c0=$(cpu_ticks "$RESP_PID") e0=$(rcvbuf_errors)
	if [ "${PERF:-0}" = 1 ] && [ "$resp" = ipsecsh ] &&
		[ "$n" = "$MAXN" ] && [ "$w" = 0 ] && [ -z "$PROFILED" ]; then
		perf record -F 1999 -g -p "$RESP_PID" -o "$T/perf.data" \
			> /dev/null 2>&1 &
		perfpid=$!
		PROFILED=1
		sleep 0.5
	fi
	out=$(ip netns exec "$L" "$IKE_LOAD" --peer $RESP_ADDR \
		--base ${LOAD_NET%/*} -n "$n" --psk "$PSK" --window "$w" \
		--timeout "$TIMEOUT" $args 2> "$T/load.err" | tail -1)
	# The initiators are done when they send quick mode's message 3; the
	# responder when it has that message (a lost one waits for the
	# responder's retransmission of message 2).  "both" counts until the
	# responder holds every pair too (polled every 50 ms).
	local t_end lag=-1 init_ms both
	t_end=$(now_ms)
	pairs=$(responder_pairs "$resp")
	if [ "$pairs" = "$n" ]; then
		lag=0
	else
		for _ in $(seq 300); do
			sleep 0.05
			pairs=$(responder_pairs "$resp")
			[ "$pairs" = "$n" ] && { lag=$(($(now_ms) - t_end)); break; }
		done
	fi
	sleep 0.2
	if [ -n "$perfpid" ]; then
		kill -INT "$perfpid"
		wait "$perfpid" 2> /dev/null
	fi
	r1=$(rss_kb "$RESP_PID") c1=$(cpu_ticks "$RESP_PID") e1=$(rcvbuf_errors)
	stop_responder
	rate=$(kv setups_per_s "$out")
	init_ms=$(kv elapsed_ms "$out")
	[ -n "$rate" ] || { echo "  N=$n $resp: ike_load failed: $(head -3 "$T/load.err")"; return 1; }
	if [ "$(kv ok "$out")" = "$n" ] && [ "$lag" -ge 0 ]; then
		both=$(awk -v n="$n" -v e="$init_ms" -v l="$lag" 'BEGIN { printf "%.1f", n * 1000 / (e + l) }')
	else
		both=0 # incomplete: counts as nothing
	fi
	mem=$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", t * 1000 / hz / n }')
	local lagtext="+$lag ms responder"
	[ "$lag" -ge 0 ] || lagtext="responder incomplete"
	printf '  N=%-5s %-8s run %s: %7s/s both sides (%s/s initiators, %s)  pairs %s/%s (responder %s)  retransmits %s  drops %s  %s KiB/pair  %s ms CPU/setup  ike_load CPU %s of %s ms\n' \
		"$n" "$resp" "$run" "$both" "$rate" "$lagtext" "$(kv ok "$out")" "$n" \
		"$pairs" "$(kv retransmits "$out")" $((e1 - e0)) "$mem" "$cpu" \
		"$(kv cpu_ms "$out")" "$init_ms"
	[ "$(kv failed "$out")" = 0 ] ||
		sed 's/^/      /' "$T/load.err" | head -3
	local k=$resp,$w,$n
	RATE[$k]="${RATE[$k]:-} $both"
	IRATE[$k]="${IRATE[$k]:-} $rate"
	MEM[$k]="${MEM[$k]:-} $mem"
	CPU[$k]="${CPU[$k]:-} $cpu"
}

wname() { [ "$1" = 0 ] && echo "all N peers at once" || echo "at most $1 negotiations in flight"; }
echo "IKEv1 Main Mode + Quick Mode setups: PSK, AES128-SHA256-ECP256, ESP AES-128-GCM"
echo "responders: $RESPONDERS; $RUNS runs each"
for w in $WINDOWS; do
	echo
	echo "$(wname "$w"):"
	for n in $NS_LIST; do
		for run in $(seq "$RUNS"); do
			# Responders alternate: a noisy moment hits both.
			for resp in $RESPONDERS; do
				run_once "$resp" "$w" "$n" "$run"
			done
		done
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a != "-") printf "%.2fx", a / b; else print "-" }'; }
med() { median ${1:-}; }
# "both (initiators)", or "-" for a responder that did not run.
both_init() { [ "$1" = - ] && echo - || echo "$1 ($(med "$2"))"; }
echo
echo "Medians of $RUNS runs.  setups/s = N / time until both sides hold all N"
echo "pairs (in brackets: until the initiators do, as the lab baseline counts)."
for w in $WINDOWS; do
	echo
	echo "$(wname "$w"):"
	printf '%6s | %20s %20s %7s | %9s %9s | %9s %9s\n' "" "ipsecsh" \
		"charon" "ratio" "ipsecsh" "charon" "ipsecsh" "charon"
	printf '%6s | %20s %20s %7s | %9s %9s | %9s %9s\n' N "setups/s" \
		"setups/s" "" "KiB/pair" "KiB/pair" "ms CPU" "ms CPU"
	for n in $NS_LIST; do
		o=ipsecsh,$w,$n c=charon,$w,$n
		ro=$(med "${RATE[$o]:-}") rc=$(med "${RATE[$c]:-}")
		printf '%6s | %20s %20s %7s | %9s %9s | %9s %9s\n' "$n" \
			"$(both_init "$ro" "${IRATE[$o]:-}")" \
			"$(both_init "$rc" "${IRATE[$c]:-}")" "$(ratio "$ro" "$rc")" \
			"$(med "${MEM[$o]:-}")" "$(med "${MEM[$c]:-}")" \
			"$(med "${CPU[$o]:-}")" "$(med "${CPU[$c]:-}")"
	done
done
echo
echo "ratio = ipsecsh / charon (both sides), same run, same generator.  KiB/pair:"
echo "responder VmRSS growth / N.  ms CPU: responder user+system time / N."
echo "Lab baseline (charon initiator -> charon responder, README): 274/s at 300,"
echo "177/s at 1000, 116/s at 2000; ~24 KB per SA.  Aim: >= 1000/s at N=1000,"
echo "no decay as N grows, <= 8 KiB per SA pair."
if [ -e "$T/perf.data" ]; then
	echo
	echo "profile of the service during its first run at N=$MAXN (perf):"
	perf report -i "$T/perf.data" --no-children --sort dso -q -g none \
		2> /dev/null | head -6
	perf report -i "$T/perf.data" --no-children --sort sym -q -g none \
		2> /dev/null | head -25
fi
