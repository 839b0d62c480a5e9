#!/bin/bash
# ike_pair.sh IPSECSH [MODE]
#
# Two ipsecsh services in namespaces red and blue (tests/netns/lib.sh)
# negotiate their SAs with IKE, started by the driver's acquire of the
# first packet (no `add sa`):
#   MODE  transport (red 10.77.0.1 <-> blue 10.77.0.2, ESP) or tunnel
#         (subnets 10.78.1.0/24 <-> 10.78.2.0/24 between the gateways)
# Checks: ping both ways, a TCP transfer both ways compared by SHA-256;
# only ESP and ISAKMP on the wire; show mmsas / qmsas on both sides; the
# counters of show stats (Total Acquire and Key Additions on the
# initiator, IKE Main Mode and Quick Mode on both, no failures).
set -u
ipsecsh=$1
mode=${2:-transport}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
fail() {
	echo "FAIL (ike_pair $mode): $*" >&2
	for ns in red blue; do
		[ -f "$work/$ns.log" ] && tail -20 "$work/$ns.log" >&2
	done
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "needs root: skipped"; exit 77; }
. "$here/lib.sh"
cleanup() {
	for ns in "$RED" "$BLUE"; do
		ip netns exec "$ns" "$ipsecsh" --socket "$work/$ns.sock" \
			service stop > /dev/null 2>&1
	done
	ns_teardown
	rm -rf "$work"
}
trap cleanup EXIT
ns_setup "k$$" || fail "namespaces"
sh_in() { local ns=$1; shift; ip netns exec "$ns" "$ipsecsh" --socket "$work/$ns.sock" "$@"; }

if [ "$mode" = tunnel ]; then
	r_in=$RED_IN4 b_in=$BLUE_IN4
	rule_r="srcaddr=10.78.1.0 srcmask=24 dstaddr=10.78.2.0 dstmask=24 tunneldstaddress=$BLUE_V4"
	rule_b="srcaddr=10.78.2.0 srcmask=24 dstaddr=10.78.1.0 dstmask=24 tunneldstaddress=$RED_V4"
else
	r_in=$RED_V4 b_in=$BLUE_V4
	rule_r="srcaddr=$RED_V4 dstaddr=$BLUE_V4"
	rule_b="srcaddr=$BLUE_V4 dstaddr=$RED_V4"
fi
for ns in "$RED" "$BLUE"; do
	sh_in $ns service start > /dev/null || fail "service start $ns"
	sh_in $ns ipsec dynamic add mmpolicy name=MM > /dev/null || fail mmpolicy
	sh_in $ns ipsec dynamic add qmpolicy name=QM pfsgroup=GRP19 \
		qmsec="ESP[AES128GCM] ESP[AES256,SHA256]" > /dev/null ||
		fail qmpolicy
done
sh_in "$RED" ipsec dynamic add rule $rule_r mmpolicy=MM qmpolicy=QM \
	psk="pair secret" > /dev/null || fail "rule red"
sh_in "$BLUE" ipsec dynamic add rule $rule_b mmpolicy=MM qmpolicy=QM \
	psk="pair secret" > /dev/null || fail "rule blue"

capture=
if command -v tshark > /dev/null; then
	ip netns exec "$BLUE" tshark -q -i veth0 -w "$work/wire.pcapng" \
		> /dev/null 2>&1 &
	capture=$!
	sleep 1.5
fi

# The first ping starts the negotiation; its packets wait in the queue
# and go out once the SAs are in, so none is lost.
ip netns exec "$RED" ping -c 3 -i 0.2 -W 5 -I $r_in $b_in > "$work/ping" 2>&1 ||
	fail "ping red -> blue: $(cat "$work/ping")"
grep -q " 0% packet loss" "$work/ping" || fail "first packets lost: $(cat "$work/ping")"
ip netns exec "$BLUE" ping -c 3 -i 0.2 -W 2 -I $b_in $r_in > "$work/ping" 2>&1 ||
	fail "ping blue -> red: $(cat "$work/ping")"

head -c 2000000 /dev/urandom > "$work/data"
want=$(sha256sum < "$work/data" | cut -d' ' -f1)
tcp_once() { # FROM TO TO_ADDR FROM_ADDR
	ip netns exec $2 python3 "$here/tcp_sink.py" $3 5001 > "$work/got" &
	local sink=$!
	ip netns exec $1 python3 "$here/tcp_send.py" $3 5001 $4 \
		< "$work/data" || fail "tcp send $1 -> $2"
	wait $sink || fail "tcp sink $2"
	[ "$(cat "$work/got")" = "$want" ] || fail "tcp data $1 -> $2 differ"
}
tcp_once "$RED" "$BLUE" $b_in $r_in
tcp_once "$BLUE" "$RED" $r_in $b_in

for ns in "$RED" "$BLUE"; do
	sh_in $ns ipsec dynamic show mmsas > "$work/mm.$ns" || fail "show mmsas"
	grep -q "State         : established" "$work/mm.$ns" ||
		fail "no main mode SA in $ns: $(cat "$work/mm.$ns")"
	sh_in $ns ipsec dynamic show qmsas > "$work/qm.$ns" || fail "show qmsas"
	[ "$(grep -c '^SPI' "$work/qm.$ns")" = 2 ] ||
		fail "$ns: not one pair of quick mode SAs: $(cat "$work/qm.$ns")"
	grep -q "Keying             : IKE" "$work/qm.$ns" || fail "keying"
	sh_in $ns ipsec dynamic show stats format=json > "$work/$ns.json" ||
		fail "show stats"
done
grep -q "Initiator     : YES" "$work/mm.$RED" || fail "red did not initiate"
grep -q "Initiator     : NO" "$work/mm.$BLUE" || fail "blue initiated"
python3 - "$work/$RED.json" "$work/$BLUE.json" <<'PY' || fail "counters"
import json, sys
red, blue = (json.load(open(p)) for p in sys.argv[1:])
for name, s in (("red", red), ("blue", blue)):
    ike, ipsec = s["ike"][0], s["ipsec"][0]
    assert ike["ike_main_mode"] == 1, (name, ike)
    assert ike["ike_quick_mode"] == 1, (name, ike)
    assert ike["key_additions"] == 1, (name, ike)
    for k in ("authentication_failures", "negotiation_failures",
              "invalid_packets_received", "send_failures",
              "acquire_failures", "receive_failures"):
        assert ike[k] == 0, (name, k, ike)
    assert ipsec["active_associations"] == 2, (name, ipsec)
    assert ipsec["bad_spi_packets"] == 0, (name, ipsec)
assert red["ike"][0]["total_acquire"] >= 1, red["ike"]
assert blue["ike"][0]["total_acquire"] == 0, blue["ike"]
PY

if [ -n "$capture" ]; then
	sleep 0.5
	kill -INT $capture
	wait $capture
	r() { tshark -r "$work/wire.pcapng" -Y "$1" 2> /dev/null | wc -l; }
	[ "$(r isakmp)" -ge 9 ] || fail "wire: $(r isakmp) ISAKMP messages"
	[ "$(r 'icmp || tcp')" = 0 ] || fail "wire: clear text"
	[ "$(r esp)" -gt 10 ] || fail "wire: $(r esp) ESP packets"
	[ "$(r '_ws.malformed || _ws.expert.severity == error')" = 0 ] ||
		fail "wire: malformed packets"
fi
echo "ike_pair $mode: ok"
