#!/bin/bash
# service_filters.sh IPSECSH
#
# Block and permit through the driver: red runs a service whose rules
# block TCP port 5002 to blue and permit ICMP in clear text; blue runs no
# IPsec at all.  Ping passes (permit, clear), TCP to port 5002 is dropped,
# TCP to port 5003 (no rule) passes, UDP to port 5004, which must be
# negotiated, waits for an SA and raises one acquire, and red's counters
# say so.
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
tag=$$
red=ifr$tag
blue=ifb$tag
fail() { echo "FAIL (filters): $*" >&2; exit 1; }
cleanup() {
	ip netns exec $red "$ipsecsh" --socket "$work/s.sock" service stop \
		> /dev/null 2>&1
	ip netns del $red 2> /dev/null
	ip netns del $blue 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, TUN)"
ip netns add $red && ip netns add $blue || fail "netns"
ip link add vr$tag type veth peer name vb$tag || fail "veth"
ip link set vr$tag netns $red
ip link set vb$tag netns $blue
ip -n $red addr add 10.77.0.1/24 dev vr$tag
ip -n $blue addr add 10.77.0.2/24 dev vb$tag
for ns in $red $blue; do ip -n $ns link set lo up; done
ip -n $red link set vr$tag up
ip -n $blue link set vb$tag up

d() { ip netns exec $red "$ipsecsh" --socket "$work/s.sock" ipsec dynamic "$@"; }
ip netns exec $red "$ipsecsh" --socket "$work/s.sock" service start \
	> /dev/null || fail "service start"
d add mmpolicy name=MM > /dev/null || fail "mmpolicy"
d add rule 10.77.0.1 10.77.0.2 MM protocol=TCP dstport=5002 \
	actioninbound=block actionoutbound=block || fail "block rule"
d add rule 10.77.0.1 10.77.0.2 MM protocol=ICMP actioninbound=permit \
	actionoutbound=permit || fail "permit rule"

ip netns exec $red ping -c 2 -i 0.2 -W 2 10.77.0.2 > /dev/null ||
	fail "ping (permit) did not pass"
echo hello > "$work/data"
want=$(sha256sum < "$work/data" | cut -d' ' -f1)
ip netns exec $blue timeout 15 python3 "$here/tcp_sink.py" 10.77.0.2 5003 \
	> "$work/got" &
sink=$!
ip netns exec $red python3 "$here/tcp_send.py" 10.77.0.2 5003 \
	< "$work/data" || fail "TCP 5003 (no rule) did not pass"
wait $sink
[ "$(cat "$work/got")" = "$want" ] || fail "TCP 5003 data"

ip netns exec $blue timeout 8 python3 "$here/tcp_sink.py" 10.77.0.2 5002 \
	> /dev/null 2>&1 &
sink=$!
if ip netns exec $red timeout 5 python3 "$here/tcp_send.py" 10.77.0.2 5002 \
	< "$work/data" 2> /dev/null; then
	fail "TCP 5002 (block) passed"
fi
wait $sink 2> /dev/null

# Negotiate with no SA: the packet waits (bounded) and an acquire is
# raised, counted in both statistics blocks; nothing leaves in clear.
d add qmpolicy name=QM > /dev/null || fail "qmpolicy"
d add rule 10.77.0.1 10.77.0.2 MM QM protocol=UDP dstport=5004 psk=k ||
	fail "negotiate rule"
ip netns exec $red python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"x", ("10.77.0.2", 5004))' || fail "udp send"
sleep 0.5

d show stats format=json > "$work/stats.json" || fail "stats"
python3 - "$work/stats.json" <<'PY' || fail "counters: $(cat "$work/stats.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
s, ike = doc["ipsec"][0], doc["ike"][0]
assert s.get("outbound_packets_blocked", 0) >= 1, s
assert s.get("packets_permitted_in_clear", 0) >= 2, s
assert s.get("packets_queued_for_negotiation", 0) == 3, s
assert s.get("acquires_raised", 0) == 1, s
assert ike["total_acquire"] == 1, ike
PY
echo "service_filters: ok"
