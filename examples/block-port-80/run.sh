#!/bin/bash
# examples/block-port-80/run.sh [IPSECSH]
#
# The port-80 block policy, demonstrated: a web host (namespace "web",
# 10.80.0.1) runs ipsecsh with the policy of block-port-80.netsh
# assigned; a client (namespace "client", 10.80.0.2) tries TCP port 80,
# which is refused, and port 8080, which passes.  Prints what happened
# and the web host's counters, then cleans up.  Exit status 0 only if
# the demonstration worked.  Run as root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ipsecsh=${1:-$here/../../build/ipsecsh}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (namespaces, TUN)" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work"
web=web$$
client=cl$$
export IPSECSH_SOCKET="$work/web.sock" IPSECSH_STORE="$work/web.db"
cleanup() {
	ip netns exec $web "$ipsecsh" service stop > /dev/null 2>&1
	ip netns del $web 2> /dev/null
	ip netns del $client 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
in_web() { ip netns exec $web "$@"; }
in_client() { ip netns exec $client "$@"; }

echo "== two hosts: web 10.80.0.1, client 10.80.0.2"
ip netns add $web && ip netns add $client || fail "namespaces"
ip link add vw$$ type veth peer name vc$$ || fail "veth"
ip link set vw$$ netns $web
ip link set vc$$ netns $client
in_web ip addr add 10.80.0.1/24 dev vw$$
in_client ip addr add 10.80.0.2/24 dev vc$$
for ns in $web $client; do ip -n $ns link set lo up; done
in_web ip link set vw$$ up
in_client ip link set vc$$ up

echo "== on web: ipsecsh -f block-port-80.netsh, then ipsecsh service start"
in_web "$ipsecsh" -f "$here/block-port-80.netsh" || fail "policy script"
in_web "$ipsecsh" service start || fail "service start"
in_web "$ipsecsh" ipsec dynamic show rule format=table

serve() { # PORT: a one-connection server on web that answers "hello"
	in_web python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.80.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(6)
try:
    c, _ = s.accept(); c.sendall(b"hello\n"); c.close()
except socket.timeout:
    pass' "$1" &
	sleep 0.5
}
fetch() { # PORT: prints what the server said, or fails
	in_client python3 -c '
import socket, sys
s = socket.create_connection(("10.80.0.1", int(sys.argv[1])), timeout=3)
print(s.recv(100).decode().strip())' "$1" 2> /dev/null
}

echo "== client -> web:8080 (no rule)"
serve 8080
got=$(fetch 8080) || fail "port 8080 did not answer"
echo "   answered: $got"
wait
echo "== client -> web:80 (blocked)"
serve 80
if got=$(fetch 80); then
	fail "port 80 answered: $got"
fi
echo "   no answer: the connection was dropped"
wait

echo "== on web: ipsecsh ipsec dynamic show stats type=ipsec"
in_web "$ipsecsh" ipsec dynamic show stats type=ipsec > "$work/stats"
cat "$work/stats"
grep -q "Blocked *: [1-9]" "$work/stats" ||
	fail "the web host counted no blocked packet"
echo "== the demonstration worked"
