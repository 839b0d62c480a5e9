#!/bin/bash
# examples/strongswan/run.sh [IPSECSH]
#
# ipsecsh on one gateway, strongSwan on the other, as two network
# namespaces on this machine:
#   red   ipsecsh     10.77.0.1, subnet 10.78.1.0/24 (host 10.78.1.1)
#   blue  strongSwan  10.77.0.2, subnet 10.78.2.0/24 (host 10.78.2.1)
# Red gets ipsecsh.netsh and starts its service; blue runs charon with
# swanctl.conf (strongSwan's userspace datapath, kernel-libipsec: it
# only does tunnel mode with ESP in UDP 4500, so both sides float to
# NAT-T).  Red pings across the tunnel, which starts IKE from red; then
# blue pings back.  Prints both sides' view of the SAs and cleans up.
# Exit status 0 only if the demonstration worked.  Needs root and
# strongSwan (apt-get install strongswan-charon strongswan-swanctl
# libcharon-extra-plugins libstrongswan-extra-plugins
# libstrongswan-standard-plugins).
set -u
here=$(cd "$(dirname "$0")" && pwd)
ipsecsh=${1:-$here/../../build/ipsecsh}
ss=$here/../../tests/interop/strongswan.sh
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 1; }
[ -x /usr/lib/ipsec/charon ] || { echo "run.sh: strongSwan is not installed" >&2; exit 1; }
ipsecsh=$(cd "$(dirname "$ipsecsh")" && pwd)/$(basename "$ipsecsh")
work=$(mktemp -d)
chmod 755 "$work"
red=red$$
blue=blue$$
export IPSECSH_STORE="$work/red.db" IPSECSH_SOCKET="$work/red.sock"
cleanup() {
	ip netns exec $red "$ipsecsh" service stop > /dev/null 2>&1
	bash "$ss" stop "$work/ss" 2> /dev/null
	ip netns del $red 2> /dev/null
	ip netns del $blue 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAILED: $*" >&2
	[ -f "$work/ss/charon.log" ] && tail -20 "$work/ss/charon.log" >&2
	exit 1
}
in_red() { ip netns exec $red "$@"; }
in_blue() { ip netns exec $blue "$@"; }

echo "== gateways: red (ipsecsh) 10.77.0.1, blue (strongSwan) 10.77.0.2"
ip netns add $red && ip netns add $blue || fail "namespaces"
ip link add vr$$ type veth peer name vb$$ || fail "veth"
ip link set vr$$ netns $red
ip link set vb$$ netns $blue
in_red ip addr add 10.77.0.1/24 dev vr$$
in_blue ip addr add 10.77.0.2/24 dev vb$$
# The protected hosts: one address of each subnet, on lo.
in_red ip addr add 10.78.1.1/32 dev lo
in_blue ip addr add 10.78.2.1/32 dev lo
for ns in $red $blue; do ip -n $ns link set lo up; done
in_red ip link set vr$$ up
in_blue ip link set vb$$ up

echo "== blue: charon with swanctl.conf"
SWANCTL_CONF=$here/swanctl.conf bash "$ss" start $blue 10.77.0.2 10.77.0.1 \
	"$work/ss" || fail "charon"

echo "== red: ipsecsh -f ipsecsh.netsh, then ipsecsh service start"
in_red "$ipsecsh" -f "$here/ipsecsh.netsh" || fail "policy script"
in_red "$ipsecsh" service start || fail "service start"

echo "== red pings 10.78.2.1 from 10.78.1.1: red negotiates"
in_red ping -c 4 -i 0.3 -W 5 -I 10.78.1.1 10.78.2.1 || fail "ping red -> blue"
echo "== blue pings 10.78.1.1 from 10.78.2.1"
in_blue ping -c 2 -i 0.3 -W 3 -I 10.78.2.1 10.78.1.1 || fail "ping blue -> red"

echo "== red: ipsecsh ipsec dynamic show mmsas"
in_red "$ipsecsh" ipsec dynamic show mmsas | tee "$work/mmsas"
echo "== red: ipsecsh ipsec dynamic show qmsas format=table"
in_red "$ipsecsh" ipsec dynamic show qmsas format=table | tee "$work/qmsas"
echo "== blue: swanctl --list-sas"
bash "$ss" swanctl "$work/ss" --list-sas | tee "$work/sslist"

grep -q "NAT Traversal : YES" "$work/mmsas" || fail "IKE did not float to 4500"
grep -q INSTALLED "$work/sslist" || fail "strongSwan has no CHILD_SA"
echo "== the demonstration worked"
