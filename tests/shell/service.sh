#!/bin/sh
# service.sh IPSECSH
#
# The service's life and its control socket: start, a second start on
# the same socket refused, a second service on another socket beside it,
# status, who may change live state (root; others may only show), a
# dynamic command with no service, stop.
set -u
ipsecsh=$1
work=$(mktemp -d)
chmod 755 "$work"
a="$work/a.sock"
b="$work/b.sock"
cleanup() {
	"$ipsecsh" --socket "$a" service stop > /dev/null 2>&1
	"$ipsecsh" --socket "$b" service stop > /dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export IPSECSH_STORE="$work/policy.db"

out=$("$ipsecsh" --socket "$a" ipsec dynamic show all 2>&1) &&
	fail "a dynamic command without a service succeeded"
echo "$out" | grep -q "the ipsecsh service is not running" ||
	fail "no-service message: $out"
"$ipsecsh" --socket "$a" service status > /dev/null &&
	fail "status says running before start"

# A certificate directory that does not exist: a clear error, no service.
out=$("$ipsecsh" --socket "$a" service start tun=none certdir=/nonexistent/certs 2>&1) &&
	fail "started with a missing certdir"
echo "$out" | grep -q "certdir=/nonexistent/certs: No such file or directory" ||
	fail "missing certdir message: $out"
"$ipsecsh" --socket "$a" service status > /dev/null &&
	fail "a service runs after a refused start"

"$ipsecsh" --socket "$a" service start tun=none > /dev/null || fail "start"
out=$("$ipsecsh" --socket "$a" service start tun=none 2>&1) &&
	fail "a second service on the same socket started"
echo "$out" | grep -q "already running" || fail "second start: $out"
"$ipsecsh" --socket "$b" service start tun=none > /dev/null ||
	fail "a service on another socket did not start"
"$ipsecsh" --socket "$a" service status | grep -q "is running" ||
	fail "status"
[ -f "$a.pid" ] || fail "no pid file beside the socket"

# State is per service, and gone when it stops.
"$ipsecsh" --socket "$a" ipsec dynamic add mmpolicy name=OnlyA || fail "add"
"$ipsecsh" --socket "$b" ipsec dynamic show mmpolicy OnlyA > /dev/null 2>&1 &&
	fail "the services share state"
"$ipsecsh" --socket "$a" ipsec dynamic show mmpolicy OnlyA | grep -q OnlyA ||
	fail "show on the service that has it"

# Anyone may show; only root (or the admin group) may change.
if id nobody > /dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	runuser -u nobody -- "$ipsecsh" --socket "$a" ipsec dynamic show \
		mmpolicy all > /dev/null || fail "nobody may not show"
	out=$(runuser -u nobody -- "$ipsecsh" --socket "$a" ipsec dynamic \
		add mmpolicy name=Evil 2>&1) && fail "nobody changed state"
	echo "$out" | grep -q "only root or the service's admin group" ||
		fail "refusal message: $out"
	"$ipsecsh" --socket "$a" ipsec dynamic show mmpolicy Evil \
		> /dev/null 2>&1 && fail "the refused change happened"
fi

# A name that does not resolve is refused, and the rule does not stay.
"$ipsecsh" --socket "$a" ipsec dynamic add rule srcaddr=me \
	dstaddr=nowhere.invalid mmpolicy=OnlyA actioninbound=block \
	actionoutbound=block 2> "$work/err" && fail "unresolvable rule added"
grep -q "does not resolve" "$work/err" || fail "resolve message"
"$ipsecsh" --socket "$a" ipsec dynamic show rule | grep -q nowhere &&
	fail "the failed rule stayed"

# Config survives a restart (saved beside the socket, mode 0600).
"$ipsecsh" --socket "$a" ipsec dynamic set config ipsecloginterval 120 ||
	fail "set config"
"$ipsecsh" --socket "$a" service stop | grep -q "has stopped" || fail "stop"
"$ipsecsh" --socket "$a" service status > /dev/null &&
	fail "status says running after stop"
[ -e "$a" ] && fail "socket left behind"
"$ipsecsh" --socket "$a" service start tun=none > /dev/null || fail "restart"
"$ipsecsh" --socket "$a" ipsec dynamic show config | grep -q "120" ||
	fail "config lost across restart"
[ "$(stat -c %a "$a.conf")" = 600 ] || fail "config file not 0600"
"$ipsecsh" --socket "$a" ipsec dynamic show mmpolicy all | grep -q OnlyA &&
	fail "dynamic state survived a restart"
echo "service: ok"
