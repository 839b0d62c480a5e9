#!/bin/sh
# agent.sh IPSECSH
#
# The policy agent: what `ipsec static` assigns is what the service's
# live state holds.  Runs a service without a driver (tun=none).
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
export IPSECSH_SOCKET="$work/s.sock" IPSECSH_STORE="$work/policy.db"
cleanup() {
	"$ipsecsh" service stop > /dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
rules() { "$ipsecsh" ipsec dynamic show rule format=json; }

# A policy assigned before the service starts is applied at start.
"$ipsecsh" -f "$here/../../examples/red-blue/red-blue.netsh" ||
	fail "red-blue script"
"$ipsecsh" service start tun=none > /dev/null || fail "start"
rules | grep -q '"origin": "RedBlue/Red-Blue ESP"' ||
	fail "the assigned policy is not live: $(rules)"
rules | grep -q '"qmpolicy": "static/RedBlue/Require ESP"' ||
	fail "quick mode policy name"
"$ipsecsh" service status | grep -q "Assigned policy *: RedBlue (local)" ||
	fail "status does not name the policy"

# Dynamic rules coexist and are shown apart.
"$ipsecsh" ipsec dynamic add mmpolicy name=Hand > /dev/null
"$ipsecsh" ipsec dynamic add rule any 10.50.0.1 Hand \
	actioninbound=block actionoutbound=block || fail "dynamic rule"
rules | grep -q '"origin": "dynamic"' || fail "dynamic rule not shown apart"

# A static change reaches the service at once (the shell tells it).
"$ipsecsh" ipsec static add filter filterlist=RedBlue srcaddr=10.77.0.1 \
	dstaddr=10.77.0.9 || fail "add filter"
rules | grep -q '"dstaddr": "10.77.0.9"' || fail "change not applied"

# A change that cannot be applied leaves the previous policy in force.
"$ipsecsh" ipsec static add filter filterlist=RedBlue srcaddr=10.77.0.1 \
	dstaddr=nowhere.invalid 2> "$work/err" || fail "the store refused"
grep -q "warning: .*does not resolve" "$work/err" ||
	fail "no warning: $(cat "$work/err")"
rules | grep -q '"dstaddr": "10.77.0.9"' || fail "previous policy lost"
rules | grep -q nowhere && fail "half-applied policy"
"$ipsecsh" service status | grep -q "Policy error .*does not resolve" ||
	fail "status does not show the error"
"$ipsecsh" ipsec static delete filter RedBlue 10.77.0.1 nowhere.invalid ||
	fail "delete filter"

# Persistent and local both apply; unassigning removes only that one.
"$ipsecsh" -f /dev/stdin <<'NETSH' || fail "persistent policy"
ipsec static set store location=persistent
ipsec static add filteraction name=Block action=block
ipsec static add filter filterlist=Boot srcaddr=any dstaddr=me protocol=TCP dstport=23
ipsec static add policy name=Boot activatedefaultrule=no assign=yes
ipsec static add rule name=NoTelnet policy=Boot filterlist=Boot filteraction=Block
NETSH
rules | grep -q '"origin": "Boot/NoTelnet"' || fail "persistent not applied"
rules | grep -q '"origin": "RedBlue/Red-Blue ESP"' || fail "local lost"
"$ipsecsh" ipsec static set policy RedBlue assign=no || fail "unassign"
rules | grep -q RedBlue && fail "unassigned policy still live"
rules | grep -q '"origin": "Boot/NoTelnet"' || fail "persistent lost"
rules | grep -q '"origin": "dynamic"' || fail "dynamic rule lost"

# A batch reaches the service when it commits, as one change.
printf 'ipsec static set batch mode=enable\nipsec static set policy RedBlue assign=yes\n' |
	"$ipsecsh" || fail "batch"
rules | grep -q RedBlue || fail "batch not applied at its end"

# After a restart, the assigned policies are back; dynamic state is not.
"$ipsecsh" service stop > /dev/null || fail "stop"
"$ipsecsh" service start tun=none > /dev/null || fail "restart"
rules | grep -q '"origin": "RedBlue/Red-Blue ESP"' || fail "policy not back"
rules | grep -q '"origin": "Boot/NoTelnet"' || fail "persistent not back"
rules | grep -q '"origin": "dynamic"' && fail "dynamic state survived"
echo "agent: ok"
