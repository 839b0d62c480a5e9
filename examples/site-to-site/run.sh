#!/bin/bash
# examples/site-to-site/run.sh [IPSECSH]
#
# Two sites joined by an ESP tunnel between their gateways, as four
# network namespaces on this machine:
#
#   host-a 10.1.0.10 -- 10.1.0.1 gw-a 192.0.2.1 == 192.0.2.2 gw-b 10.2.0.1 -- 10.2.0.10 host-b
#
# Each gateway runs ipsecsh with its script (gateway-a.netsh,
# gateway-b.netsh) and forwards between its site and the link.  Host A
# pings host B and sends it 1 MB over TCP: gateway A's driver takes the
# packets, IKE negotiates a tunnel-mode pair with gateway B, and the
# traffic crosses the link in ESP.  Prints gateway A's `show mmsas`,
# `show qmsas` and `show stats type=ipsec`, checks the link with tshark
# when installed (only ISAKMP and ESP on it), and cleans up.  Exit
# status 0 only if the demonstration worked.  Run as root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
ipsecsh=${1:-$here/../../build/ipsecsh}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (namespaces, TUN)" >&2; exit 1; }
ipsecsh=$(cd "$(dirname "$ipsecsh")" && pwd)/$(basename "$ipsecsh")
work=$(mktemp -d)
chmod 755 "$work"
t=$$
ha=ha$t ga=ga$t gb=gb$t hb=hb$t
cleanup() {
	[ -n "$wire_pid" ] && kill $wire_pid 2> /dev/null
	for g in $ga $gb; do on $g service stop > /dev/null 2>&1; done
	for ns in $ha $ga $gb $hb; do ip netns del $ns 2> /dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
on() { # NS ARGS...: ipsecsh on that gateway, with its own store and socket
	local ns=$1
	shift
	ip netns exec $ns env IPSECSH_STORE="$work/$ns.db" \
		IPSECSH_SOCKET="$work/$ns.sock" "$ipsecsh" "$@"
}
link() { # NS1 ADDR1 NS2 ADDR2 NAME
	ip link add $5a type veth peer name $5b || fail "veth"
	ip link set $5a netns $1
	ip link set $5b netns $3
	ip -n $1 addr add $2 dev $5a
	ip -n $3 addr add $4 dev $5b
	ip -n $1 link set $5a up
	ip -n $3 link set $5b up
}

echo "== host-a 10.1.0.10 -- gw-a 192.0.2.1 == gw-b 192.0.2.2 -- host-b 10.2.0.10"
for ns in $ha $ga $gb $hb; do
	ip netns add $ns || fail "namespace"
	ip -n $ns link set lo up
done
link $ha 10.1.0.10/24 $ga 10.1.0.1/24 sa$t
link $ga 192.0.2.1/24 $gb 192.0.2.2/24 wn$t
link $gb 10.2.0.1/24 $hb 10.2.0.10/24 sb$t
ip -n $ha route add default via 10.1.0.1
ip -n $hb route add default via 10.2.0.1
for g in $ga $gb; do ip netns exec $g sysctl -qw net.ipv4.ip_forward=1; done

echo "== on the gateways: ipsecsh -f gateway-X.netsh, then ipsecsh service start"
on $ga -f "$here/gateway-a.netsh" || fail "gateway-a.netsh"
on $gb -f "$here/gateway-b.netsh" || fail "gateway-b.netsh"
for g in $ga $gb; do on $g service start > /dev/null || fail "service start"; done

wire_start $gb wn${t}b "$work"

echo "== host-a pings host-b: gateway A negotiates the tunnel"
ip netns exec $ha ping -c 4 -i 0.3 -W 5 10.2.0.10 || fail "ping A -> B"
echo "== host-b pings host-a"
ip netns exec $hb ping -c 2 -i 0.3 -W 3 10.1.0.10 || fail "ping B -> A"

if command -v python3 > /dev/null; then
	echo "== TCP host-a -> host-b: 1 MB, compared by SHA-256"
	tcp_transfer $ha $hb 10.2.0.10 "$work" || fail "TCP transfer"
fi

echo "== gateway A: ipsecsh ipsec dynamic show mmsas"
on $ga ipsec dynamic show mmsas | tee "$work/mmsas"
echo "== gateway A: ipsecsh ipsec dynamic show qmsas format=table"
on $ga ipsec dynamic show qmsas format=table | tee "$work/qmsas"
echo "== gateway A: ipsecsh ipsec dynamic show stats type=ipsec"
on $ga ipsec dynamic show stats type=ipsec | tee "$work/stats"
grep -q "State         : established" "$work/mmsas" || fail "no main mode SA"
[ "$(grep -c TUNNEL "$work/qmsas")" = 2 ] || fail "not one tunnel pair"
grep -q "Bytes Sent In Tunnels *: [1-9]" "$work/stats" || fail "no tunnel bytes"

wire_check "$work" || fail "expected only ISAKMP and ESP on the wire"
echo "== the demonstration worked"
