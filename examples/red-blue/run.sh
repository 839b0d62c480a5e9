#!/bin/bash
# examples/red-blue/run.sh [IPSECSH]
#
# The classic negotiation between the computers Red and Blue, as two
# network namespaces on this machine joined by a virtual cable:
#   Red  10.77.0.1    Blue  10.77.0.2
# Each gets its own policy store with red-blue.netsh applied (the same
# script on both: the filter is mirrored) and its own ipsecsh service.
# Then Red pings Blue: the first packet makes Red's driver ask the IKE
# negotiator for SAs, Main Mode and Quick Mode run with the pre-shared
# key, and every packet after that travels in ESP.  TCP goes both ways.
# The script prints `show mmsas`, `show qmsas` and `show stats` from Red
# and cleans up.  Exit status 0 only if the demonstration worked.  Run
# as root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
ipsecsh=${1:-$here/../../build/ipsecsh}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (namespaces, TUN)" >&2; exit 1; }
[ -x "$ipsecsh" ] || { echo "run.sh: $ipsecsh: not built" >&2; exit 1; }
ipsecsh=$(cd "$(dirname "$ipsecsh")" && pwd)/$(basename "$ipsecsh")
work=$(mktemp -d)
chmod 755 "$work"
red=red$$
blue=blue$$
cleanup() {
	[ -n "$wire_pid" ] && kill $wire_pid 2> /dev/null
	for ns in $red $blue; do
		on $ns service stop > /dev/null 2>&1
		ip netns del $ns 2> /dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
# on NS ARGS...: ipsecsh on that computer, with its own store and socket
on() {
	local ns=$1
	shift
	ip netns exec $ns env IPSECSH_STORE="$work/$ns.db" \
		IPSECSH_SOCKET="$work/$ns.sock" "$ipsecsh" "$@"
}

echo "== two computers: Red 10.77.0.1 and Blue 10.77.0.2"
ip netns add $red && ip netns add $blue || fail "namespaces"
ip link add vr$$ type veth peer name vb$$ || fail "veth"
ip link set vr$$ netns $red
ip link set vb$$ netns $blue
ip -n $red addr add 10.77.0.1/24 dev vr$$
ip -n $blue addr add 10.77.0.2/24 dev vb$$
for ns in $red $blue; do ip -n $ns link set lo up; done
ip -n $red link set vr$$ up
ip -n $blue link set vb$$ up

echo "== on both: ipsecsh -f red-blue.netsh, then ipsecsh service start"
for ns in $red $blue; do
	on $ns -f "$here/red-blue.netsh" || fail "policy script on $ns"
	on $ns service start > /dev/null || fail "service start on $ns"
done
on $red ipsec static show rule all policy=RedBlue format=table ||
	fail "show rule"

wire_start $blue vb$$ "$work"

echo "== Red pings Blue: the first packet starts the negotiation"
ip netns exec $red ping -c 4 -i 0.3 -W 5 10.77.0.2 || fail "ping Red -> Blue"
echo "== Blue pings Red"
ip netns exec $blue ping -c 2 -i 0.3 -W 2 10.77.0.1 || fail "ping Blue -> Red"

if command -v python3 > /dev/null; then
	echo "== TCP, Blue -> Red: 1 MB, compared by SHA-256"
	tcp_transfer $blue $red 10.77.0.1 "$work" || fail "TCP transfer"
fi

echo "== on Red: ipsecsh ipsec dynamic show mmsas"
on $red ipsec dynamic show mmsas | tee "$work/mmsas"
echo "== on Red: ipsecsh ipsec dynamic show qmsas"
on $red ipsec dynamic show qmsas | tee "$work/qmsas"
echo "== on Red: ipsecsh ipsec dynamic show stats"
on $red ipsec dynamic show stats | tee "$work/stats"

grep -q "State         : established" "$work/mmsas" ||
	fail "no main mode SA"
[ "$(grep -c '^SPI' "$work/qmsas")" = 2 ] || fail "not one pair of quick mode SAs"
grep -q "IKE Quick Mode *: [1-9]" "$work/stats" || fail "no quick mode counted"
grep -q "Confidential Bytes Sent *: [1-9]" "$work/stats" ||
	fail "no confidential bytes counted"

wire_check "$work" || fail "expected only ISAKMP and ESP on the wire"
echo "== the demonstration worked"
