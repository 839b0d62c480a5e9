#!/bin/bash
# soft_association.sh IPSECSH
#
# netsh's soft=yes: red (ipsecsh) must negotiate with blue, which has no
# IPsec at all.  Red's filter action allows a soft association, so once
# blue has left IKE unanswered the traffic goes in clear text both ways:
# outbound through red's driver, inbound through red's packet filter.
# Checks: ping red -> blue passes in the end, Soft Associations moves,
# show qmsas lists no ESP pair, the wire shows ISAKMP from red and clear
# ICMP; then the same policy without soft=yes keeps the traffic out.
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
fail() {
	echo "FAIL (soft_association): $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "needs root: skipped"; exit 77; }
. "$here/lib.sh"
export IPSECSH_STORE="$work/red.db" IPSECSH_SOCKET="$work/red.sock"
cleanup() {
	in_red "$ipsecsh" service stop > /dev/null 2>&1
	ns_teardown
	rm -rf "$work"
}
trap cleanup EXIT
ns_setup "s$$" || fail "namespaces"
r() { in_red "$ipsecsh" "$@"; }

r ipsec static add policy name=Soft activatedefaultrule=no > /dev/null &&
r ipsec static add filter filterlist=Blue srcaddr=me dstaddr=$BLUE_V4 \
	protocol=ANY mirrored=yes > /dev/null &&
r ipsec static add filteraction name=SoftESP action=negotiate soft=yes \
	qmsecmethods="ESP[AES128GCM]" > /dev/null &&
r ipsec static add rule name=R policy=Soft filterlist=Blue \
	filteraction=SoftESP psk="nobody answers" > /dev/null &&
r ipsec static set policy name=Soft assign=yes > /dev/null ||
	fail "policy"
r service start > /dev/null || fail "service start"

capture=
if command -v tshark > /dev/null; then
	ip netns exec "$BLUE" tshark -q -i veth0 -w "$work/wire.pcapng" \
		> /dev/null 2>&1 &
	capture=$!
	sleep 1.5
fi

# Blue never answers IKE: after the wait, clear text.
ok=
for _ in $(seq 30); do
	if in_red ping -c 1 -W 1 $BLUE_V4 > /dev/null 2>&1; then ok=1; break; fi
done
[ -n "$ok" ] || fail "no clear text after a soft association"
in_red ping -c 3 -i 0.2 -W 2 $BLUE_V4 > "$work/ping" 2>&1 ||
	fail "ping after the soft association: $(cat "$work/ping")"
in_blue ping -c 2 -i 0.2 -W 2 $RED_V4 > /dev/null 2>&1 ||
	fail "ping blue -> red (inbound clear text of a soft peer)"
r ipsec dynamic show stats format=json > "$work/stats.json"
python3 - "$work/stats.json" <<'PY' || fail "counters: $(cat "$work/stats.json")"
import json, sys
s = json.load(open(sys.argv[1]))
ike = s["ike"][0]
assert ike["soft_associations"] >= 1, ike
assert ike["ike_quick_mode"] == 0, ike
PY
r ipsec dynamic show qmsas > "$work/qm"
grep -q "^SPI" "$work/qm" && grep -q "Keying             : IKE" "$work/qm" &&
	grep -q "ESP\[" "$work/qm" && ! grep -qi "soft" "$work/qm" &&
	fail "an ESP pair with a peer that has no IPsec: $(cat "$work/qm")"

if [ -n "$capture" ]; then
	sleep 0.5
	kill -INT $capture
	wait $capture
	n() { tshark -r "$work/wire.pcapng" -Y "$1" 2> /dev/null | wc -l; }
	[ "$(n 'isakmp && ip.dst == '$BLUE_V4)" -ge 1 ] || fail "wire: red sent no ISAKMP"
	[ "$(n 'icmp.type == 8 && ip.dst == '$BLUE_V4)" -ge 1 ] || fail "wire: no clear ICMP"
	[ "$(n esp)" = 0 ] || fail "wire: ESP toward a peer without IPsec"
fi

# Without soft=yes the same peer gets nothing.
r service stop > /dev/null
r ipsec static set filteraction name=SoftESP soft=no > /dev/null || fail "soft=no"
r service start > /dev/null || fail "restart"
in_red ping -c 3 -i 0.3 -W 1 $BLUE_V4 > /dev/null 2>&1 &&
	fail "clear text without soft=yes"
in_blue ping -c 2 -i 0.3 -W 1 $RED_V4 > /dev/null 2>&1 &&
	fail "inbound clear text without soft=yes"
echo "soft_association: ok"
