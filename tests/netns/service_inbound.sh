#!/bin/bash
# tests/netns/service_inbound.sh IPSECSH - inbound enforcement by the
# service, end to end (issue 5): clear text that never enters the TUN
# device obeys the live policy.  Namespaces red and blue (lib.sh); red
# runs an ipsecsh service, blue runs no IPsec and sends clear text at
# red.  Checked, with red's `show stats` counters:
#   (a) a dynamic negotiate rule for blue (IPv4 and IPv6): blue's ping,
#       UDP and TCP to red are dropped; "Inbound Clear Text Dropped"
#       moves; the table is in `nft list tables` and `service status`;
#   (d) a more specific dynamic permit rule (TCP port 5003) passes
#       inside the negotiate rule, other ports stay dropped;
#   (b) a static policy, assigned through the policy agent, whose filter
#       action negotiates with inpass=yes: blue's clear UDP arrives and
#       nothing is counted; set to inpass=no, the same is dropped and
#       counted; unassigned, it passes again;
#   (c) a dynamic block rule for TCP port 5002 from blue: the connection
#       is dropped, "Inbound Clear Text Blocked" moves; port 5003 and
#       ping pass;
#   (e) bootmode block (set config, kept across the restart) with a
#       boot exemption for TCP port 5003 in, and a store the policy agent
#       cannot read (so no policy ever loads): blue's ping and TCP 5002
#       are dropped, TCP 5003 passes, "Packets Dropped In Boot Mode"
#       moves and `service status` says boot mode; the first dynamic
#       commit ends boot mode;
#   (f) after `service stop` no ipsecsh_ table is left and clear text
#       passes.
# Exit 0 = pass, 1 = fail, 77 = skipped (not root).
set -u
ipsecsh=${1:?ipsecsh binary}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: service_inbound needs root (namespaces, TUN, nftables)"
	exit 77
fi

work=$(mktemp -d /tmp/service_inbound.XXXXXX)
chmod 755 "$work"
export IPSECSH_SOCKET="$work/s.sock" IPSECSH_STORE="$work/policy.db"
FAILED=0

cleanup() {
	in_red "$ipsecsh" service stop > /dev/null 2>&1
	ns_teardown
	if [ "$FAILED" = 0 ]; then
		rm -rf "$work"
	else
		echo "(files kept in $work)"
	fi
}
trap cleanup EXIT
fail() {
	echo "FAIL (inbound): $*" >&2
	FAILED=1
	exit 1
}

need_pkgs nftables iputils-ping python3 || fail "cannot install nftables"
ns_setup in$$ || fail "namespaces"

d() { in_red "$ipsecsh" ipsec dynamic "$@"; }
s() { in_red "$ipsecsh" ipsec static "$@"; }

# ping4 / ping6: one echo from blue to red answered.
ping4() { in_blue ping -c 1 -W 1 $RED_V4 > /dev/null 2>&1; }
ping6() { in_blue ping -6 -c 1 -W 1 $RED_V6 > /dev/null 2>&1; }

# tcp PORT: blue connects to red's PORT and reads red's "ok".
tcp() {
	in_red timeout 6 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(4)
try:
    c, _ = s.accept(); c.sendall(b"ok"); c.close()
except socket.timeout:
    pass' $RED_V4 "$1" &
	local srv=$!
	sleep 0.3
	local got
	got=$(in_blue python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
print(s.recv(10).decode())' $RED_V4 "$1" 2> /dev/null)
	wait $srv 2> /dev/null
	[ "$got" = ok ]
}

# udp PORT: blue sends 3 datagrams to red's PORT; prints how many arrived.
udp() {
	in_red timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(1.5)
n = 0
try:
    while True:
        s.recv(100); n += 1
except socket.timeout:
    pass
print(n)' $RED_V4 "$1" > "$work/udp.out" &
	local srv=$!
	sleep 0.3
	in_blue python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))' $RED_V4 "$1"
	wait $srv 2> /dev/null
	cat "$work/udp.out"
}

# ctr KEY: red's counter of that JSON name (absent: it never moved).
ctr() {
	d show stats type=ipsec format=json > "$work/stats.json" ||
		fail "show stats"
	python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["ipsec"][0].get(sys.argv[2], 0))' \
		"$work/stats.json" "$1"
}

tables() { in_red nft list tables 2> /dev/null | grep -c ipsecsh_; }

status() { in_red "$ipsecsh" service status 2> /dev/null; }
# enforcing WHAT: service status says the table holds WHAT.
enforcing() {
	status |
		grep -q "Inbound enforcement *: nftables table ipsecsh_ipsec0, $1"
}

echo "== service start, no policy: clear text passes"
in_red "$ipsecsh" service start > /dev/null || fail "service start"
[ "$(tables)" = 1 ] || fail "no ipsecsh_ table: $(in_red nft list tables)"
enforcing policy || fail "status: $(status)"
ping4 || fail "ping without a policy"
ping6 || fail "ping6 without a policy"
[ "$(udp 5010)" = 3 ] || fail "UDP without a policy"
tcp 5004 || fail "TCP without a policy"

echo "== (a) negotiate rule for blue: clear text from blue is dropped"
d add mmpolicy name=MM > /dev/null || fail "mmpolicy"
d add qmpolicy name=QM > /dev/null || fail "qmpolicy"
d add rule $RED_V4 $BLUE_V4 MM QM psk=k || fail "negotiate rule"
d add rule $RED_V6 $BLUE_V6 MM QM psk=k || fail "negotiate rule (IPv6)"
ping4 && fail "(a) ping from blue passed"
ping6 && fail "(a) ping6 from blue passed"
[ "$(udp 5010)" = 0 ] || fail "(a) UDP from blue arrived"
tcp 5004 && fail "(a) TCP from blue passed"
n=$(ctr inbound_clear_text_dropped)
[ "$n" -ge 6 ] || fail "(a) Inbound Clear Text Dropped is $n"
[ "$(ctr inbound_clear_text_blocked)" = 0 ] || fail "(a) blocked moved"
d show stats type=ipsec | grep -q "Inbound Clear Text Dropped *: $n" ||
	fail "(a) not in the text of show stats"

echo "== (d) permit rule for TCP 5003 inside it: passes"
d add rule $RED_V4 $BLUE_V4 MM protocol=TCP srcport=5003 \
	actioninbound=permit actionoutbound=permit || fail "permit rule"
tcp 5003 || fail "(d) TCP 5003 (permit) did not pass"
tcp 5004 && fail "(d) TCP 5004 (negotiate) passed"
d delete all || fail "delete all"
ping4 || fail "ping after delete all"

echo "== (b) static policy, filter action negotiate inpass=yes"
s add policy name=Inbound activatedefaultrule=no > /dev/null ||
	fail "static policy"
s add filter filterlist=Blue srcaddr=$RED_V4 dstaddr=$BLUE_V4 \
	protocol=ANY mirrored=yes > /dev/null || fail "static filter"
s add filteraction name=InPass action=negotiate inpass=yes > /dev/null ||
	fail "static filter action"
s add rule name=Blue policy=Inbound filterlist=Blue filteraction=InPass \
	psk=k > /dev/null || fail "static rule"
s set policy name=Inbound assign=yes || fail "assign"
d show rule format=json | grep -q '"origin": "Inbound/Blue"' ||
	fail "(b) the assigned policy is not live: $(d show rule)"
before=$(ctr inbound_clear_text_dropped)
[ "$(udp 5011)" = 3 ] || fail "(b) UDP from blue did not arrive (inpass)"
[ "$(ctr inbound_clear_text_dropped)" = "$before" ] ||
	fail "(b) clear text counted as dropped with inpass"
s set filteraction name=InPass inpass=no || fail "inpass=no"
[ "$(udp 5011)" = 0 ] || fail "(b) UDP from blue arrived with inpass=no"
n=$(ctr inbound_clear_text_dropped)
[ "$n" -ge $((before + 3)) ] || fail "(b) dropped $before -> $n"
s set policy name=Inbound assign=no || fail "unassign"
[ "$(udp 5011)" = 3 ] || fail "(b) UDP from blue after unassigning"

echo "== (c) block rule for TCP 5002 from blue"
d add mmpolicy name=MM > /dev/null || fail "mmpolicy (after delete all)"
d add rule $BLUE_V4 $RED_V4 MM protocol=TCP dstport=5002 \
	actioninbound=block actionoutbound=block || fail "block rule"
tcp 5002 && fail "(c) TCP 5002 (block) passed"
n=$(ctr inbound_clear_text_blocked)
[ "$n" -ge 1 ] || fail "(c) Inbound Clear Text Blocked is $n"
tcp 5003 || fail "(c) TCP 5003 (no rule) did not pass"
ping4 || fail "(c) ping (no rule) did not pass"

echo "== (e) bootmode block, no policy loads: dropped in boot mode"
d set config bootmode block || fail "set config bootmode"
d set config bootexemptions TCP:0:5003:inbound || fail "bootexemptions"
in_red "$ipsecsh" service stop > /dev/null || fail "service stop"
# A store the policy agent cannot read: no policy is ever loaded.
echo "not a store" > "$work/broken.db"
chmod 600 "$work/broken.db"
IPSECSH_STORE="$work/broken.db" in_red "$ipsecsh" service start \
	> /dev/null || fail "service start (broken store)"
status | grep -q "Boot Mode *: block" || fail "(e) config not kept"
enforcing "boot mode block" || fail "(e) status: $(status)"
ping4 && fail "(e) ping passed in boot mode block"
tcp 5002 && fail "(e) TCP 5002 passed in boot mode block"
tcp 5003 || fail "(e) TCP 5003 (boot exemption) did not pass"
n=$(ctr packets_dropped_in_boot_mode)
[ "$n" -ge 2 ] || fail "(e) Packets Dropped In Boot Mode is $n"
# The first commit (here a dynamic rule) ends boot mode.
d add mmpolicy name=MM > /dev/null || fail "(e) mmpolicy"
d add rule $BLUE_V4 $RED_V4 MM protocol=TCP dstport=5002 \
	actioninbound=permit actionoutbound=permit || fail "(e) permit rule"
ping4 || fail "(e) ping after the first policy load"
tcp 5002 || fail "(e) TCP 5002 after the first policy load"
enforcing policy || fail "(e) still in boot mode: $(status)"
[ "$(ctr packets_dropped_in_boot_mode)" -ge "$n" ] ||
	fail "(e) the boot counter did not survive the policy"

echo "== (f) service stop: the table is gone, clear text passes"
in_red "$ipsecsh" service stop > /dev/null || fail "service stop"
[ "$(tables)" = 0 ] || fail "(f) table left: $(in_red nft list tables)"
ping4 || fail "(f) ping after stop"
tcp 5002 || fail "(f) TCP after stop"
echo "service_inbound: ok"
