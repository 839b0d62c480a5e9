#!/bin/bash
# policy_agent.sh IPSECSH
#
# The assigned static policy, end to end, in namespaces red and blue
# (tests/netns/lib.sh), each with its own store and service:
#   1. red-blue.netsh on both: ping negotiates, ESP on the wire.
#   2. A policy change while traffic flows: a new rule (block TCP 6000)
#      is added on red while a ping runs; no ping is lost and the ESP
#      pair of the unchanged rule survives (same SPIs).
#   3. A change of the negotiated rule's security methods: its old pair
#      no longer fits the policy and is deleted (blue learns it from a
#      delete notification); traffic goes on with a new pair.
#   4. Service restart on red: the policy is back (rules of origin
#      static), SAs are negotiated anew, ping passes.
#   5. Two shells edit red's store at once (20 filters each, every
#      commit notifying the service): no edit is lost, in the store or
#      in the service's live filters.
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
examples=$here/../../examples
work=$(mktemp -d)
chmod 755 "$work"
fail() { echo "FAIL (policy_agent): $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root: skipped"; exit 77; }
. "$here/lib.sh"
cleanup() {
	for ns in "$RED" "$BLUE"; do on $ns service stop > /dev/null 2>&1; done
	ns_teardown
	rm -rf "$work"
}
trap cleanup EXIT
on() {
	local ns=$1
	shift
	ip netns exec "$ns" env IPSECSH_STORE="$work/$ns.db" \
		IPSECSH_SOCKET="$work/$ns.sock" "$ipsecsh" "$@"
}
spis() { on "$1" ipsec dynamic show qmsas format=json |
	python3 -c 'import json,sys; print(" ".join(sorted(s["spi"] for s in json.load(sys.stdin)["qmsas"])))'; }
ns_setup "p$$" || fail "namespaces"

# 1. negotiate
for ns in "$RED" "$BLUE"; do
	on $ns -f "$examples/red-blue/red-blue.netsh" > /dev/null || fail "script $ns"
	on $ns service start > /dev/null || fail "start $ns"
done
in_red ping -c 3 -i 0.2 -W 5 $BLUE_V4 > /dev/null || fail "first ping"
before=$(spis "$RED")
[ "$(echo $before | wc -w)" = 2 ] || fail "no pair: $before"

# 2. a change to another rule while traffic flows
in_red ping -c 40 -i 0.05 -W 2 $BLUE_V4 > "$work/ping" 2>&1 &
pinger=$!
sleep 0.5
on "$RED" ipsec static add filteraction name=Block action=block > /dev/null &&
on "$RED" ipsec static add filter filterlist=Port6000 srcaddr=me dstaddr=any \
	protocol=TCP dstport=6000 > /dev/null &&
on "$RED" ipsec static add rule name=NoPort6000 policy=RedBlue \
	filterlist=Port6000 filteraction=Block > /dev/null || fail "add rule"
wait $pinger || fail "ping during the change: $(tail -3 "$work/ping")"
grep -q " 0% packet loss" "$work/ping" || fail "lost: $(tail -2 "$work/ping")"
on "$RED" ipsec dynamic show rule format=json > "$work/rules.json"
grep -q NoPort6000 "$work/rules.json" || fail "new rule not loaded"
[ "$(spis "$RED")" = "$before" ] || fail "the unchanged rule's SAs changed"

# 3. the negotiated rule changes: its pair goes, a new one comes
on "$RED" ipsec static set filteraction name="Require ESP" \
	qmsecmethods="ESP[AES256,SHA256]" > /dev/null || fail "set filteraction"
on "$BLUE" ipsec static set filteraction name="Require ESP" \
	qmsecmethods="ESP[AES256,SHA256]" > /dev/null || fail "set filteraction"
for _ in $(seq 30); do
	[ "$(spis "$RED")" != "$before" ] && break
	sleep 0.1
done
[ -z "$(spis "$RED")" ] || [ "$(spis "$RED")" != "$before" ] ||
	fail "the changed rule's SAs survived"
in_red ping -c 3 -i 0.2 -W 5 $BLUE_V4 > /dev/null || fail "ping after change"
on "$RED" ipsec dynamic show qmsas > "$work/qm"
grep -q "ESP\[AES256,SHA256\]" "$work/qm" || fail "not renegotiated: $(cat "$work/qm")"
for s in $before; do
	on "$BLUE" ipsec dynamic show qmsas format=json | grep -q "\"$s\"" &&
		fail "blue kept SA $s (no delete notification)"
done

# 4. service restart
on "$RED" service stop > /dev/null || fail "stop"
on "$RED" service start > /dev/null || fail "restart"
on "$RED" ipsec dynamic show rule format=json > "$work/rules.json"
grep -q "Red-Blue ESP" "$work/rules.json" || fail "policy not back after restart"
in_red ping -c 3 -i 0.2 -W 5 $BLUE_V4 > /dev/null || fail "ping after restart"
[ "$(spis "$RED" | wc -w)" = 2 ] || fail "no SAs after restart"

# 5. two shells at once
edit() { # TAG
	for i in $(seq 20); do
		on "$RED" ipsec static add filter filterlist=Port6000 \
			srcaddr=me dstaddr=10.99.$1.$i protocol=TCP dstport=6000 \
			> /dev/null || return 1
	done
}
edit 1 & e1=$!
edit 2 & e2=$!
wait $e1 || fail "shell 1 failed"
wait $e2 || fail "shell 2 failed"
n=$(on "$RED" ipsec static show filterlist name=Port6000 level=verbose format=json |
	grep -o '"10\.99\.[12]\.[0-9]*"' | sort -u | wc -l)
[ "$n" = 40 ] || fail "store holds $n of 40 filters"
sleep 0.5
n=$(on "$RED" ipsec dynamic show qmfilter format=json | grep -o '10\.99\.[12]\.[0-9]*' | sort -u | wc -l)
[ "$n" = 40 ] || fail "the service has $n of 40 filters"
echo "policy_agent: ok"
