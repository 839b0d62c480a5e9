#!/bin/bash
# service_pair.sh IPSECSH [MODE] [SECMETHOD] [ENCAP]
#
# Two ipsecsh services, in network namespaces red (10.77.0.1) and blue
# (10.77.0.2) joined by veth, protect their traffic with manually keyed
# SAs set up through `ipsec dynamic` (add rule, add sa):
#   MODE       transport (default) or tunnel (inner 10.78.1.1 / 10.78.2.1
#              on lo, gateways 10.77.0.1 / 10.77.0.2)
#   SECMETHOD  ESP[AES128GCM] (default) or ESP[AES256,SHA256]
#   ENCAP      none (raw ESP, default) or udp (ESP in UDP 4500)
# Checks: ping both ways, a TCP transfer both ways with its SHA-256
# compared, only ESP on the wire,
# then the counters of `show stats`.  The wire check (tshark, when it is
# installed) captures the veth and has tshark decrypt every ESP packet
# with the same keys.  Exit 0 only if all of it held.
set -u
ipsecsh=$1
mode=${2:-transport}
method=${3:-ESP[AES128GCM]}
encap=${4:-none}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
tag=$$
red=ipr$tag
blue=ipb$tag
fail() { echo "FAIL ($mode $method $encap): $*" >&2; exit 1; }
cleanup() {
	for ns in $red $blue; do
		ip netns exec $ns "$ipsecsh" --socket "$work/$ns.sock" \
			service stop > /dev/null 2>&1
		ip netns del $ns 2> /dev/null
	done
	[ -n "${KEEP:-}" ] && cp -r "$work" /tmp/keep-sp; rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, TUN)"
ip netns add $red && ip netns add $blue || fail "netns"
ip link add vr$tag type veth peer name vb$tag || fail "veth"
ip link set vr$tag netns $red
ip link set vb$tag netns $blue
ip -n $red addr add 10.77.0.1/24 dev vr$tag
ip -n $blue addr add 10.77.0.2/24 dev vb$tag
for ns in $red $blue; do
	ip -n $ns link set lo up
done
ip -n $red link set vr$tag up
ip -n $blue link set vb$tag up

sh_in() { # NS WORDS...: one dynamic command in that namespace's service
	local ns=$1
	shift
	ip netns exec $ns "$ipsecsh" --socket "$work/$ns.sock" "$@"
}

key_enc=0x00112233445566778899aabbccddeeff01020304
key_auth=
case $method in
*GCM*) ;;
*) key_enc=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
   key_auth="authkey=0x0f0e0d0c0b0a090807060504030201000f0e0d0c0b0a09080706050403020100" ;;
esac

if [ "$mode" = tunnel ]; then
	ip -n $red addr add 10.78.1.1/32 dev lo
	ip -n $blue addr add 10.78.2.1/32 dev lo
	r_in=10.78.1.1 b_in=10.78.2.1
	sa_extra_rb="mode=tunnel tunnelsrc=10.77.0.1 tunneldst=10.77.0.2"
	sa_extra_br="mode=tunnel tunnelsrc=10.77.0.2 tunneldst=10.77.0.1"
	rule_r="srcaddr=10.78.1.1 dstaddr=10.78.2.1 tunneldstaddress=10.77.0.2"
	rule_b="srcaddr=10.78.2.1 dstaddr=10.78.1.1 tunneldstaddress=10.77.0.1"
	# Each gateway reaches the other's inner address through the TUN
	# device (the rule's route); the source is its own inner address.
else
	r_in=10.77.0.1 b_in=10.77.0.2
	sa_extra_rb="mode=transport" sa_extra_br="mode=transport"
	rule_r="srcaddr=10.77.0.1 dstaddr=10.77.0.2"
	rule_b="srcaddr=10.77.0.2 dstaddr=10.77.0.1"
fi

for ns in $red $blue; do
	ip netns exec $ns "$ipsecsh" --socket "$work/$ns.sock" service start \
		> /dev/null || fail "service start in $ns"
	sh_in $ns ipsec dynamic add mmpolicy name=MM > /dev/null ||
		fail "mmpolicy"
	sh_in $ns ipsec dynamic add qmpolicy name=QM qmsec="$method" \
		> /dev/null || fail "qmpolicy"
done
sh_in $red ipsec dynamic add rule $rule_r mmpolicy=MM qmpolicy=QM psk=k ||
	fail "rule red"
sh_in $blue ipsec dynamic add rule $rule_b mmpolicy=MM qmpolicy=QM psk=k ||
	fail "rule blue"
# red -> blue uses SPI 0x1001, blue -> red 0x2002.
sh_in $red ipsec dynamic add sa spi=0x1001 srcaddr=$r_in dstaddr=$b_in \
	direction=out $sa_extra_rb secmethod="$method" enckey=$key_enc \
	$key_auth encap=$encap || fail "sa red out"
sh_in $red ipsec dynamic add sa spi=0x2002 srcaddr=$b_in dstaddr=$r_in \
	direction=in $sa_extra_br secmethod="$method" enckey=$key_enc \
	$key_auth encap=$encap || fail "sa red in"
sh_in $blue ipsec dynamic add sa spi=0x2002 srcaddr=$b_in dstaddr=$r_in \
	direction=out $sa_extra_br secmethod="$method" enckey=$key_enc \
	$key_auth encap=$encap || fail "sa blue out"
sh_in $blue ipsec dynamic add sa spi=0x1001 srcaddr=$r_in dstaddr=$b_in \
	direction=in $sa_extra_rb secmethod="$method" enckey=$key_enc \
	$key_auth encap=$encap || fail "sa blue in"

# What crosses the veth, for the wire check at the end.  A veth carries
# UDP GSO batches uncut (a capture would see one datagram of 40 kB), so
# for the check the veth cuts them, as a real NIC's wire would.
capture=
if command -v tshark > /dev/null; then
	for dev in vr$tag:$red vb$tag:$blue; do
		ip netns exec ${dev#*:} ethtool -K ${dev%%:*} \
			tx-udp-segmentation off > /dev/null 2>&1 ||
			fail "ethtool -K ${dev%%:*} tx-udp-segmentation off"
	done
	ip netns exec $blue tshark -q -i vb$tag -w "$work/wire.pcapng" \
		> /dev/null 2>&1 &
	capture=$!
	sleep 1.5
fi

ip netns exec $red ping -c 3 -i 0.2 -W 2 -I $r_in $b_in > "$work/ping" 2>&1 ||
	fail "ping red -> blue: $(cat "$work/ping")"
ip netns exec $blue ping -c 3 -i 0.2 -W 2 -I $b_in $r_in > "$work/ping" 2>&1 ||
	fail "ping blue -> red: $(cat "$work/ping")"

# TCP both ways: 4 MB of random bytes, compared by SHA-256.
head -c 4000000 /dev/urandom > "$work/data"
want=$(sha256sum < "$work/data" | cut -d' ' -f1)
tcp_once() { # FROM_NS TO_NS TO_ADDR FROM_ADDR
	ip netns exec $2 python3 "$here/tcp_sink.py" $3 5001 > "$work/got" &
	local sink=$!
	ip netns exec $1 python3 "$here/tcp_send.py" $3 5001 $4 \
		< "$work/data" || fail "tcp send $1 -> $2"
	wait $sink || fail "tcp sink $2"
	[ "$(cat "$work/got")" = "$want" ] || fail "tcp data $1 -> $2 differ"
}
tcp_once $red $blue $b_in $r_in
tcp_once $blue $red $r_in $b_in

# The wire, read by a tool we did not write: only ESP between the two
# hosts, and tshark, given the same keys, decrypts every ESP packet to the
# expected inner packet, with nothing malformed.
if [ -n "$capture" ]; then
	sleep 1
	kill -INT $capture
	wait $capture
	case $method in
	*GCM*) enc='AES-GCM with 16 octet ICV [RFC4106]' auth=NULL akey= ;;
	*) enc='AES-CBC [RFC3602]' auth='HMAC-SHA-256-128 [RFC4868]'
	   akey=${key_auth#authkey=} ;;
	esac
	sa() { echo "uat:esp_sa:\"IPv4\",\"$1\",\"$2\",\"$3\",\"$enc\",\"$key_enc\",\"$auth\",\"$akey\""; }
	# Port 5001 carries random bytes: read them as data, or a
	# heuristic dissector (thrift) calls them malformed.
	decode() {
		tshark -r "$work/wire.pcapng" -d tcp.port==5001,data \
			-o esp.enable_encryption_decode:TRUE \
			-o "$(sa 10.77.0.1 10.77.0.2 0x00001001)" \
			-o "$(sa 10.77.0.2 10.77.0.1 0x00002002)" "$@" 2> /dev/null
	}
	esp=$(decode -Y esp | wc -l)
	clear=$(decode -Y 'ip && !esp && !(udp.port == 4500 && udp.length == 9)' | wc -l)
	inner=$(decode -Y 'esp && (icmp || tcp)' | wc -l)
	bad=$(decode -Y '_ws.malformed || _ws.expert.severity == error' | wc -l)
	[ "$esp" -gt 10 ] || fail "wire: only $esp ESP packets captured"
	[ "$clear" = 0 ] || fail "wire: $clear packets in clear text"
	[ "$inner" = "$esp" ] ||
		fail "wire: tshark decrypted $inner of $esp ESP packets"
	if [ "$bad" != 0 ]; then
		decode -Y '_ws.malformed || _ws.expert.severity == error' >&2
		fail "wire: $bad malformed packets"
	fi
fi

# Counters: both directions moved bytes; nothing was lost to errors.
for ns in $red $blue; do
	sh_in $ns ipsec dynamic show stats type=ipsec format=json \
		> "$work/$ns.json" || fail "show stats $ns"
	python3 - "$work/$ns.json" "$mode" <<'PY' || fail "counters $ns"
import json, sys
s = json.load(open(sys.argv[1]))["ipsec"][0]
sent = s["transport_bytes_sent"] if sys.argv[2] == "transport" else s["bytes_sent_in_tunnels"]
recv = s["transport_bytes_received"] if sys.argv[2] == "transport" else s["bytes_received_in_tunnels"]
assert s["active_associations"] == 2, s
assert sent > 4000000 or recv > 4000000, s
assert sent > 0 and recv > 0, s
assert s["confidential_bytes_sent"] > 0 and s["authenticated_bytes_received"] > 0, s
for k in ("bad_spi_packets", "packets_not_decrypted", "packets_not_authenticated"):
    assert s[k] == 0, (k, s)
PY
done
echo "service_pair $mode $method $encap: ok"
