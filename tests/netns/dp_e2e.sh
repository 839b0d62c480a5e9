#!/bin/bash
# tests/netns/dp_e2e.sh SCENARIO DP_PAIR - the datapath runtime end to
# end, as root: namespaces red and blue joined by a veth (lib.sh), one
# dp_pair in each with manual SAs, filters and routes; ping both ways
# and a TCP transfer with a SHA-256 check both ways; the veth captured
# and decrypted by tshark with the same keys (every ESP packet must
# authenticate and decode to the expected inner packet with good
# checksums, nothing malformed); the counters of both sides checked.
#
# Scenarios:
#   transport-gcm-esp  transport, AES-128-GCM, raw ESP, IPv4 + IPv6,
#                      with strict rp_filter (the runtime loosens it and
#                      puts it back)
#   transport-cbc-udp  transport, AES-128-CBC + HMAC-SHA-256, ESP in UDP
#   tunnel-gcm-udp     tunnel (inner /32s on lo), AES-128-GCM, ESP in UDP
#   tunnel-cbc-esp     tunnel, AES-256-CBC + HMAC-SHA1, raw ESP
#   policy             block filters (outbound, and inbound after
#                      decryption) drop and count; a permit filter
#                      passes ICMP in clear
#   acquire            no outbound SA at first: the packet is queued, one
#                      acquire is raised, and the queue is flushed when
#                      the SA comes
#   ah                 transport AH with HMAC-SHA-256, IPv4 + IPv6
#   plain-tun          transport-gcm-esp without TUN offloads (no virtio-net
#                      header, TSO or GRO): the plain read/write path
# Every other scenario runs with the offloads (the default) and checks
# that TCP went through them: super-packets cut, segments coalesced.
#
# Exit 0 = pass, 1 = fail, 77 = skipped (not root: ctest reports it as
# skipped).  As root every failure to set up is a failure.
set -u
SCEN=${1:?scenario}
DP=${2:?dp_pair binary}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $SCEN needs root (network namespaces, TUN, raw sockets)"
	exit 77
fi

T=$(mktemp -d /tmp/dp_e2e.XXXXXX)
FAILED=0
PIDS=
CAP=

fail() {
	echo "FAIL [$SCEN]: $*"
	FAILED=1
}

cleanup() {
	for p in $PIDS $CAP; do
		kill "$p" 2> /dev/null
	done
	for p in $PIDS $CAP; do
		wait "$p" 2> /dev/null
	done
	ns_teardown
	if [ "$FAILED" = 0 ]; then
		rm -rf "$T"
	else
		for f in "$T"/*.log; do
			[ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }
		done
		echo "(logs kept in $T)"
	fi
}
trap cleanup EXIT

need_pkgs tshark iputils-ping python3 ethtool ||
	{ fail "cannot install tshark"; exit 1; }
command -v tshark > /dev/null || { fail "tshark missing"; exit 1; }

# Short tags keep namespace names distinct between parallel scenarios.
ns_setup "-$SCEN" || { fail "namespace setup"; exit 1; }
# A veth carries UDP segmentation-offload packets whole (the receiving
# socket cuts them); a NIC cuts them before the wire.  Cut them before
# the veth, so the capture shows what a wire would carry.
for ns in "$RED" "$BLUE"; do
	ip netns exec "$ns" ethtool -K veth0 tx-udp-segmentation off \
		> /dev/null || { fail "ethtool"; exit 1; }
done

# ---- keys (test keys only) ------------------------------------------------
GCM_RB=0x4953000102030405060708090a0b0c0d0e0f1011
GCM_BR=0x4953a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1
AES128_RB=0x00112233445566778899aabbccddeeff
AES128_BR=0xffeeddccbbaa99887766554433221100
AES256_RB=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
AES256_BR=0x1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
SHA256_RB=0x0101010101010101010101010101010101010101010101010101010101010101
SHA256_BR=0x0202020202020202020202020202020202020202020202020202020202020202
SHA1_RB=0x0303030303030303030303030303030303030303
SHA1_BR=0x0404040404040404040404040404040404040404

RED_ARGS=() BLUE_ARGS=() TS_OPTS=() INNER= TSHARK_PROTO=esp

# One SA pair and its tshark entries.  Arguments:
#   spi-suffix mode encalgo key-rb key-br auth authkey-rb authkey-br
#   encap red-sel blue-sel red-outer blue-outer ts-enc ts-auth
sa_pair() {
	local sfx=$1 mode=$2 enc=$3 krb=$4 kbr=$5 auth=$6 arb=$7 abr=$8
	local encap=$9 rsel=${10} bsel=${11} rout=${12} bout=${13}
	local tsenc=${14} tsauth=${15} fam common rb br
	case $rout in *:*) fam=IPv6 ;; *) fam=IPv4 ;; esac
	common="mode=$mode,enc=$enc,encap=$encap"
	[ "$auth" != None ] && common="$common,auth=$auth"
	rb="spi=0x100$sfx,$common,src=$rsel,dst=$bsel,key=$krb"
	br="spi=0x200$sfx,$common,src=$bsel,dst=$rsel,key=$kbr"
	[ "$auth" != None ] && rb="$rb,authkey=$arb" && br="$br,authkey=$abr"
	if [ "$mode" = tunnel ]; then
		rb="$rb,tsrc=$rout,tdst=$bout"
		br="$br,tsrc=$bout,tdst=$rout"
	fi
	RED_ARGS+=(--sa "$rb,dir=out" --sa "$br,dir=in")
	BLUE_ARGS+=(--sa "$br,dir=out" --sa "$rb,dir=in")
	[ "$auth" = None ] && arb= abr=
	TS_OPTS+=(-o "uat:esp_sa:\"$fam\",\"$rout\",\"$bout\",\"0x0000100$sfx\",\"$tsenc\",\"$krb\",\"$tsauth\",\"$arb\"")
	TS_OPTS+=(-o "uat:esp_sa:\"$fam\",\"$bout\",\"$rout\",\"0x0000200$sfx\",\"$tsenc\",\"$kbr\",\"$tsauth\",\"$abr\"")
}

# Filters for traffic between two prefixes, both ways, on both sides.
# Arguments: red-prefix blue-prefix action [tunnel-red tunnel-blue] [id]
filter_pair() {
	local r=$1 b=$2 act=$3 tr=${4:-} tb=${5:-} id=${6:-1}
	local rt= bt=
	[ -n "$tr" ] && rt=",tunnel=$tb" bt=",tunnel=$tr"
	RED_ARGS+=(--filter "src=$r,dst=$b,in=$act,out=$act,id=$id$rt")
	RED_ARGS+=(--filter "src=$b,dst=$r,in=$act,out=$act,id=$id$rt")
	BLUE_ARGS+=(--filter "src=$b,dst=$r,in=$act,out=$act,id=$id$bt")
	BLUE_ARGS+=(--filter "src=$r,dst=$b,in=$act,out=$act,id=$id$bt")
}

GCM="AES-GCM with 16 octet ICV [RFC4106]"
TRANSPORT4="$RED_V4/32 $BLUE_V4/32"
TRANSPORT6="$RED_V6/128 $BLUE_V6/128"

# What the scenario does.  PINGS: "from-side to-address" pairs;
# TCPS: "client-side server-address port".
PINGS= TCPS=
OFFLOAD=1
if [ "$SCEN" = plain-tun ]; then
	SCEN=transport-gcm-esp OFFLOAD=0
	RED_ARGS+=(--no-offload)
	BLUE_ARGS+=(--no-offload)
fi
case $SCEN in
transport-gcm-esp | acquire)
	sa_pair 1 transport AES128GCM $GCM_RB $GCM_BR None - - none \
		$RED_V4 $BLUE_V4 $RED_V4 $BLUE_V4 "$GCM" NULL
	filter_pair $TRANSPORT4 negotiate
	RED_ARGS+=(--route "$BLUE_V4/32,src=$RED_V4")
	BLUE_ARGS+=(--route "$RED_V4/32,src=$BLUE_V4")
	INNER="$RED_V4 $BLUE_V4"
	PINGS="red:$BLUE_V4 blue:$RED_V4"
	TCPS="red:$BLUE_V4:5001 blue:$RED_V4:5002"
	if [ "$SCEN" = transport-gcm-esp ]; then
		sa_pair 6 transport AES128GCM $GCM_RB $GCM_BR None - - none \
			$RED_V6 $BLUE_V6 $RED_V6 $BLUE_V6 "$GCM" NULL
		filter_pair $TRANSPORT6 negotiate
		RED_ARGS+=(--route "$BLUE_V6/128,src=$RED_V6")
		BLUE_ARGS+=(--route "$RED_V6/128,src=$BLUE_V6")
		INNER="$INNER $RED_V6 $BLUE_V6"
		PINGS="$PINGS red:$BLUE_V6 blue:$RED_V6"
		TCPS="$TCPS blue:[$RED_V6]:5003"
		# Strict reverse-path filtering, which the runtime must
		# loosen for ESP from a protected peer, then put back.
		for ns in "$RED" "$BLUE"; do
			ip netns exec "$ns" sysctl -qw \
				net.ipv4.conf.all.rp_filter=1 \
				net.ipv4.conf.veth0.rp_filter=1 ||
				fail "rp_filter"
		done
	else
		RED_ARGS+=(--sa-delay 2000 --acquire-log "$T/acquire.log")
		PINGS="red:$BLUE_V4"
		TCPS=
	fi
	;;
transport-cbc-udp)
	for v in 4 6; do
		if [ $v = 4 ]; then r=$RED_V4 b=$BLUE_V4 p=32; else
			r=$RED_V6 b=$BLUE_V6 p=128; fi
		sa_pair $v transport AES128 $AES128_RB $AES128_BR SHA256 \
			$SHA256_RB $SHA256_BR udp $r $b $r $b \
			"AES-CBC [RFC3602]" "HMAC-SHA-256-128 [RFC4868]"
		filter_pair $r/$p $b/$p negotiate
		RED_ARGS+=(--route "$b/$p,src=$r")
		BLUE_ARGS+=(--route "$r/$p,src=$b")
	done
	INNER="$RED_V4 $BLUE_V4 $RED_V6 $BLUE_V6"
	PINGS="red:$BLUE_V4 blue:$RED_V4 red:$BLUE_V6"
	TCPS="red:$BLUE_V4:5001 blue:$RED_V4:5002 red:[$BLUE_V6]:5003"
	;;
tunnel-gcm-udp | tunnel-cbc-esp)
	if [ "$SCEN" = tunnel-gcm-udp ]; then
		alg=(AES128GCM $GCM_RB $GCM_BR None - - udp)
		ts=("$GCM" NULL)
	else
		alg=(AES256 $AES256_RB $AES256_BR SHA1 $SHA1_RB $SHA1_BR none)
		ts=("AES-CBC [RFC3602]" "HMAC-SHA-1-96 [RFC2404]")
	fi
	sa_pair 4 tunnel "${alg[@]}" 10.78.1.0/24 10.78.2.0/24 \
		$RED_V4 $BLUE_V4 "${ts[@]}"
	sa_pair 6 tunnel "${alg[@]}" fd78:1::/64 fd78:2::/64 \
		$RED_V6 $BLUE_V6 "${ts[@]}"
	filter_pair 10.78.1.0/24 10.78.2.0/24 negotiate $RED_V4 $BLUE_V4
	filter_pair fd78:1::/64 fd78:2::/64 negotiate $RED_V6 $BLUE_V6 2
	RED_ARGS+=(--route "10.78.2.0/24,src=$RED_IN4"
		--route "fd78:2::/64,src=$RED_IN6")
	BLUE_ARGS+=(--route "10.78.1.0/24,src=$BLUE_IN4"
		--route "fd78:1::/64,src=$BLUE_IN6")
	INNER="$RED_IN4 $BLUE_IN4 $RED_IN6 $BLUE_IN6"
	PINGS="red:$BLUE_IN4 blue:$RED_IN4 red:$BLUE_IN6 blue:$RED_IN6"
	TCPS="red:$BLUE_IN4:5001 blue:$RED_IN4:5002 red:[$BLUE_IN6]:5003"
	;;
policy)
	sa_pair 1 transport AES128GCM $GCM_RB $GCM_BR None - - none \
		$RED_V4 $BLUE_V4 $RED_V4 $BLUE_V4 "$GCM" NULL
	# Most specific first: TCP 9 blocked out of red, TCP 7 blocked
	# into blue (after decryption), ICMP in clear, the rest in ESP.
	RED_ARGS+=(--filter "src=$RED_V4/32,dst=$BLUE_V4/32,proto=6,dport=9,in=block,out=block,id=9")
	BLUE_ARGS+=(--filter "src=$RED_V4/32,dst=$BLUE_V4/32,proto=6,dport=7,in=block,out=block,id=7")
	filter_pair "$RED_V4/32" "$BLUE_V4/32" permit "" "" 3
	# (filter_pair's permit pair is for ICMP only: patch the proto in.)
	RED_ARGS=("${RED_ARGS[@]/in=permit,out=permit,id=3/proto=1,in=permit,out=permit,id=3}")
	BLUE_ARGS=("${BLUE_ARGS[@]/in=permit,out=permit,id=3/proto=1,in=permit,out=permit,id=3}")
	filter_pair $TRANSPORT4 negotiate
	RED_ARGS+=(--route "$BLUE_V4/32,src=$RED_V4")
	BLUE_ARGS+=(--route "$RED_V4/32,src=$BLUE_V4")
	INNER="$RED_V4 $BLUE_V4"
	PINGS="red:$BLUE_V4 blue:$RED_V4"
	TCPS="red:$BLUE_V4:5001"
	;;
ah)
	TSHARK_PROTO=ah
	for v in 4 6; do
		if [ $v = 4 ]; then r=$RED_V4 b=$BLUE_V4 p=32; else
			r=$RED_V6 b=$BLUE_V6 p=128; fi
		RED_ARGS+=(--sa "spi=0x100$v,dir=out,proto=ah,auth=SHA256,src=$r,dst=$b,authkey=$SHA256_RB"
			--sa "spi=0x200$v,dir=in,proto=ah,auth=SHA256,src=$b,dst=$r,authkey=$SHA256_BR")
		BLUE_ARGS+=(--sa "spi=0x200$v,dir=out,proto=ah,auth=SHA256,src=$b,dst=$r,authkey=$SHA256_BR"
			--sa "spi=0x100$v,dir=in,proto=ah,auth=SHA256,src=$r,dst=$b,authkey=$SHA256_RB")
		filter_pair $r/$p $b/$p negotiate
		RED_ARGS+=(--route "$b/$p,src=$r")
		BLUE_ARGS+=(--route "$r/$p,src=$b")
	done
	INNER="$RED_V4 $BLUE_V4 $RED_V6 $BLUE_V6"
	PINGS="red:$BLUE_V4 blue:$RED_V4 red:$BLUE_V6 blue:$RED_V6"
	TCPS="red:$BLUE_V4:5001 blue:[$RED_V6]:5002"
	;;
*)
	echo "unknown scenario $SCEN"
	exit 1
	;;
esac

# ---- run ------------------------------------------------------------------
# "ip netns exec" execs the command, so $! is its pid (a shell function
# in the background would be a subshell's).
ip netns exec "$BLUE" dumpcap -q -i veth0 -w "$T/cap.pcapng" \
	> "$T/dumpcap.log" 2>&1 &
CAP=$!
ip netns exec "$RED" "$DP" --queues 2 --stats "$T/red.stats" --ready "$T/red.ready" \
	"${RED_ARGS[@]}" > "$T/red.log" 2>&1 &
RED_PID=$!
ip netns exec "$BLUE" "$DP" --queues 2 --stats "$T/blue.stats" --ready "$T/blue.ready" \
	"${BLUE_ARGS[@]}" > "$T/blue.log" 2>&1 &
BLUE_PID=$!
PIDS="$RED_PID $BLUE_PID"
for i in $(seq 100); do
	[ -e "$T/red.ready" ] && [ -e "$T/blue.ready" ] &&
		grep -q Capturing "$T/dumpcap.log" && break
	sleep 0.1
done
[ -e "$T/red.ready" ] || { fail "red's dp_pair did not start"; exit 1; }
[ -e "$T/blue.ready" ] || { fail "blue's dp_pair did not start"; exit 1; }
grep -q Capturing "$T/dumpcap.log" || { fail "dumpcap did not start"; exit 1; }

if [ "$SCEN" = transport-gcm-esp ]; then
	v=$(in_red sysctl -n net.ipv4.conf.veth0.rp_filter)
	[ "$v" = 2 ] || fail "rp_filter on red's veth0 is $v, want 2 (loose)"
fi

ns_of() { [ "$1" = red ] && echo "$RED" || echo "$BLUE"; }
run_side() { if [ "$1" = red ]; then shift; in_red "$@"; else shift; in_blue "$@"; fi; }

for p in $PINGS; do
	side=${p%%:*} addr=${p#*:}
	# The acquire scenario's first packet waits for its SA (2 s).
	if ! run_side "$side" ping -c 3 -i 0.2 -W 5 "$addr" > "$T/ping.log" 2>&1; then
		fail "ping from $side to $addr"
		cat "$T/ping.log"
	fi
done

tcp_check() {
	local side=$1 addr=$2 port=$3 other out
	other=$([ "$side" = red ] && echo blue || echo red)
	addr=${addr#[}
	addr=${addr%]}
	ip netns exec "$(ns_of "$other")" python3 "$HERE/tcp_sha.py" serve \
		"$addr" "$port" "$T/served.$port" > "$T/serve.$port.log" 2>&1 &
	local spid=$!
	sleep 0.3
	out=$(run_side "$side" python3 "$HERE/tcp_sha.py" send "$addr" "$port" \
		4000000 2> "$T/send.$port.log")
	wait $spid
	if [ -z "$out" ] || [ "$out" != "$(cat "$T/served.$port" 2> /dev/null)" ]; then
		fail "TCP $side -> $addr:$port: sent '$out', received '$(cat "$T/served.$port" 2> /dev/null)'"
		return 1
	fi
	return 0
}

for t in $TCPS; do
	side=${t%%:*} rest=${t#*:}
	port=${rest##*:} addr=${rest%:*}
	tcp_check "$side" "$addr" "$port"
done

# Blocked traffic must not get through.
if [ "$SCEN" = policy ]; then
	for port in 9 7; do
		ip netns exec "$BLUE" python3 "$HERE/tcp_sha.py" serve \
			$BLUE_V4 $port "$T/served.$port" > /dev/null 2>&1 &
		spid=$!
		sleep 0.3
		if timeout 5 ip netns exec "$RED" python3 "$HERE/tcp_sha.py" \
			send $BLUE_V4 $port 1000 > /dev/null 2>&1; then
			fail "TCP to blocked port $port went through"
		fi
		kill $spid 2> /dev/null
		wait $spid 2> /dev/null
	done
fi

# ---- counters -------------------------------------------------------------
stats() {
	rm -f "$T/$1.stats"
	kill -USR1 "$2"
	for i in $(seq 50); do
		[ -e "$T/$1.stats" ] && return 0
		sleep 0.1
	done
	fail "no statistics from $1"
}
stat() { sed -n "s/^$2: //p" "$T/$1.stats" 2> /dev/null; }
want() { # side label op value
	local v
	v=$(stat "$1" "$2")
	[ -n "$v" ] && [ "$v" "$3" "$4" ] ||
		fail "$1: \"$2\" is '$v', want $3 $4"
}

sleep 0.5
stats red "$RED_PID"
stats blue "$BLUE_PID"
for side in red blue; do
	for z in "Bad SPI Packets" "Packets Not Decrypted" \
		"Packets Not Authenticated" "Packets With Replay Detection" \
		"Malformed Packets" "Packets Outside SA Selectors" \
		"Send Errors" "Receive Errors" "Packets Not Encapsulated" \
		"Packets Not Decapsulated" "Queued Packets Dropped" \
		"Packets For SAs Without A Worker Slot"; do
		want $side "$z" -eq 0
	done
	want $side "Packets Written To TUN" -gt 0
	case $SCEN in
	ah) want $side "Authenticated Bytes Sent" -gt 0
	    want $side "Confidential Bytes Sent" -eq 0 ;;
	*) want $side "Confidential Bytes Sent" -gt 0 ;;
	esac
done
# Whoever served a TCP transfer received its 4 MB through the SAs, and
# with offloads the sender's kernel handed over TCP super-packets and
# the receiver's segments were coalesced.
for t in $TCPS; do
	[ "${t%%:*}" = red ] && cli=red || cli=blue
	if [ $OFFLOAD = 1 ]; then
		want $cli "TCP Super-Packets Segmented" -gt 0
	else
		want $cli "TCP Super-Packets Segmented" -eq 0
		want $cli "Segments Coalesced Into TUN Writes" -eq 0
	fi
	[ "${t%%:*}" = red ] && srv=blue || srv=red
	want $srv "Authenticated Bytes Received" -gt 4000000
	[ $OFFLOAD = 1 ] && want $srv "Segments Coalesced Into TUN Writes" -gt 0
	case $SCEN in
	tunnel*) want $srv "Bytes Received In Tunnels" -gt 4000000 ;;
	*) want $srv "Transport Bytes Received" -gt 4000000 ;;
	esac
done
# The core counts each tunnel-mode SA (two pairs here).
case $SCEN in tunnel*) want blue "Active Tunnels" -eq 4 ;; esac
case $SCEN in
policy)
	want red "Outbound Packets Blocked" -gt 0
	want blue "Inbound Packets Blocked" -gt 0
	want red "Packets Permitted In Clear" -ge 3
	want blue "Packets Permitted In Clear" -ge 3
	;;
acquire)
	want red "Acquires Raised" -eq 1
	want red "Packets Queued For Negotiation" -ge 1
	want red "Packets Awaiting An SA" -eq 0
	n=$(grep -c "acquire filter=1 peer=$BLUE_V4 tunnel=0" "$T/acquire.log")
	[ "$n" = 1 ] || fail "acquire log: want one acquire for $BLUE_V4, got: $(cat "$T/acquire.log")"
	;;
*)
	want red "Packets Permitted In Clear" -eq 0
	want blue "Packets Permitted In Clear" -eq 0
	;;
esac

# Both must stop cleanly (sanitizer reports make the exit status fail).
for p in $PIDS; do
	kill -TERM "$p"
	wait "$p" || fail "dp_pair (pid $p) exited with status $?"
done
PIDS=
if [ "$SCEN" = transport-gcm-esp ]; then
	v=$(in_red sysctl -n net.ipv4.conf.veth0.rp_filter)
	[ "$v" = 1 ] || fail "rp_filter on red's veth0 not put back: $v"
	[ -z "$(in_red ip rule | grep 0x4953)" ] || fail "rules left behind"
fi
sleep 0.3
kill "$CAP"
wait "$CAP" 2> /dev/null
CAP=

# ---- the wire, through a tool we did not write ----------------------------
TS=(tshark -r "$T/cap.pcapng" -o esp.enable_encryption_decode:TRUE
	-o esp.enable_authentication_check:TRUE -o tcp.check_checksum:TRUE
	-o ip.check_checksum:TRUE -o udp.check_checksum:FALSE
	-d tcp.port==5001-5003,data -d tcp.port==7,data -d tcp.port==9,data
	"${TS_OPTS[@]}")
"${TS[@]}" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
	-e frame.number -e esp.spi -e esp.icv_good -e ip.src -e ip.dst \
	-e ipv6.src -e ipv6.dst -e tcp.srcport -e icmp.type -e icmpv6.type \
	-e tcp.checksum.status -e ip.checksum.status -Y "$TSHARK_PROTO" \
	> "$T/wire.txt" 2> "$T/tshark.log" || fail "tshark failed"
nwire=$(wc -l < "$T/wire.txt")
[ -n "$TCPS" ] && min=1000 || min=6
[ "$nwire" -ge $min ] || fail "only $nwire $TSHARK_PROTO packets on the wire"
bad=$(awk -F'\t' -v inner="$INNER" -v proto="$TSHARK_PROTO" '
	BEGIN { n = split(inner, a, " "); for (i = 1; i <= n; i++) ok[a[i]] = 1 }
	{
		why = ""
		if (proto == "esp" && $3 != "1") why = why " ICV not good"
		if ($8 == "" && $9 == "" && $10 == "") why = why " no inner TCP/ICMP"
		if ($11 ~ /2/ || $12 ~ /2/) why = why " bad checksum"
		# The innermost addresses are the last of each list.
		s = $4 != "" ? $4 : $6; d = $4 != "" ? $5 : $7
		sub(/.*,/, "", s); sub(/.*,/, "", d)
		if (!(s in ok) || !(d in ok)) why = why " inner " s " -> " d
		if (why != "") { print "frame " $1 ":" why; bad++ }
	}
	END { exit bad > 0 }' "$T/wire.txt") || {
	fail "$(echo "$bad" | wc -l) packets do not decode as expected:"
	echo "$bad" | head -10
}
nmal=$("${TS[@]}" -Y "_ws.malformed || _ws.expert.severity == error" 2> /dev/null | wc -l)
[ "$nmal" = 0 ] || {
	fail "$nmal malformed or erroneous packets"
	"${TS[@]}" -Y "_ws.malformed || _ws.expert.severity == error" 2> /dev/null | head -5
}
if [ "$SCEN" = policy ]; then
	# ICMP in clear, never in ESP; TCP only in ESP.
	nclear=$("${TS[@]}" -Y "icmp && !esp" 2> /dev/null | wc -l)
	nesp=$("${TS[@]}" -Y "icmp && esp" 2> /dev/null | wc -l)
	ntcp=$("${TS[@]}" -Y "tcp && !esp" 2> /dev/null | wc -l)
	[ "$nclear" -ge 12 ] || fail "ICMP in clear: $nclear packets, want 12"
	[ "$nesp" = 0 ] || fail "$nesp ICMP packets in ESP, want none"
	[ "$ntcp" = 0 ] || fail "$ntcp TCP packets in clear, want none"
else
	nclear=$("${TS[@]}" -Y "(icmp || tcp || icmpv6.type == 128) && !esp && !ah" 2> /dev/null | wc -l)
	[ "$nclear" = 0 ] || fail "$nclear packets in clear"
fi

if [ "$FAILED" = 0 ]; then
	echo "PASS [$SCEN]: $nwire $TSHARK_PROTO packets decoded and checked"
	exit 0
fi
exit 1
