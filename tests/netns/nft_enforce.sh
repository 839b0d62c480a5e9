#!/bin/bash
# tests/netns/nft_enforce.sh NFT_APPLY - inbound enforcement in nftables
# (engine/nft.h) end to end, as root: namespaces red and blue joined by a
# veth (lib.sh), and a third one, "in", behind red (10.78.1.0/24, red
# forwards) for the gateway case.  nft_apply (tests/netns/nft_apply.c)
# holds red's table; blue sends clear text at red.  Checked:
#   - no filters: everything passes;
#   - a peer that must negotiate: its clear ping (IPv4 and IPv6) is
#     dropped and counted, while IKE (UDP 500) and ESP from it arrive,
#     IPv6 neighbour discovery still works, and what enters through the
#     TUN device (decrypted traffic) passes;
#   - with inpass=yes the ping passes; with soft=yes it passes only while
#     the peer is in the soft set;
#   - a block filter drops inbound TCP to its port and counts it; other
#     ports and ping pass;
#   - a tunnel filter drops clear text routed through red from the far
#     subnet; inpass lets it through; other sources pass;
#   - atomic replacement: while blue floods a dropped and a permitted
#     UDP port, 100 in-place replacements and 100 from-scratch ones let
#     not one packet of the dropped port through (the permitted port
#     shows the flood was on);
#   - the table is removed when nft_apply frees it, and traffic passes;
#   - boot mode block: only the exemptions (and their replies), IKE,
#     DHCP and loopback pass, both ways; stateful: also what comes back
#     on red's own connections; permit: everything; the boot counter
#     survives the switch to a policy.
# Exit 0 = pass, 1 = fail, 77 = skipped (not root).
set -u
NFTA=${1:?nft_apply binary}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: nft_enforce needs root (network namespaces, nftables)"
	exit 77
fi

T=$(mktemp -d /tmp/nft_enforce.XXXXXX)
FAILED=0
PIDS=
TABLE=ipsecsh_ipsec0
IN=in-nft$$
IN_V4=10.78.1.10 GW_IN_V4=10.78.1.254

fail() {
	echo "FAIL: $*"
	FAILED=1
}

cleanup() {
	stop_agent
	for p in $PIDS; do
		kill "$p" 2> /dev/null
	done
	for p in $PIDS; do
		wait "$p" 2> /dev/null
	done
	ip netns del "$IN" 2> /dev/null
	ns_teardown
	if [ "$FAILED" = 0 ]; then
		rm -rf "$T"
	else
		for f in "$T"/*.log; do
			[ -s "$f" ] && { echo "--- $f"; tail -20 "$f"; }
		done
		echo "(logs kept in $T)"
	fi
}
trap cleanup EXIT

need_pkgs nftables iputils-ping python3 ||
	{ fail "cannot install nftables"; exit 1; }

# ---- helpers in Python ------------------------------------------------

# srv.py OUT SPEC...: tcp:PORT accepts and closes; udp:PORT counts
# datagrams; esp counts raw ESP; echo:PORT echoes UDP.  On SIGUSR1 the
# counts go to OUT ("udp:9999 12" lines), written atomically.
cat > "$T/srv.py" << 'EOF'
import os, select, signal, socket, sys
out, specs = sys.argv[1], sys.argv[2:]
socks, counts, dump = {}, {}, [False]
for spec in specs:
    kind, _, port = spec.partition(":")
    for fam in (socket.AF_INET, socket.AF_INET6):
        if kind == "esp":
            s = socket.socket(fam, socket.SOCK_RAW, 50)
        else:
            t = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
            s = socket.socket(fam, t)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(port)))
            if kind == "tcp":
                s.listen(64)
        socks[s] = (kind, spec)
    counts[spec] = 0
def on_usr1(sig, frame):
    dump[0] = True
signal.signal(signal.SIGUSR1, on_usr1)
open(out + ".ready", "w").close()
while True:
    try:
        r, _, _ = select.select(list(socks), [], [], 0.05)
    except InterruptedError:
        r = []
    for s in r:
        kind, spec = socks[s]
        if kind == "tcp":
            c, _ = s.accept()
            c.close()
            counts[spec] += 1
        else:
            data, peer = s.recvfrom(65536)
            counts[spec] += 1
            if kind == "echo":
                s.sendto(data, peer)
    if dump[0]:
        dump[0] = False
        with open(out + ".tmp", "w") as f:
            for k, v in counts.items():
                f.write("%s %d\n" % (k, v))
        os.rename(out + ".tmp", out)
EOF

# cli.py ...: the client side.
#   tcp ADDR PORT          exit 0 when a connection is made (2 s)
#   udp ADDR PORT N [SPORT] sends N datagrams
#   esp ADDR N             sends N raw ESP packets
#   echo ADDR PORT         exit 0 when the datagram comes back (2 s)
#   flood ADDR PORT1 PORT2 alternates until SIGTERM, then prints the count
#   tun NAME SRC DST PORT N  writes N UDP datagrams SRC -> DST:PORT into a
#                          new TUN device NAME (as the driver writes
#                          decrypted packets)
cat > "$T/cli.py" << 'EOF'
import fcntl, os, signal, socket, struct, subprocess, sys, time
cmd, a = sys.argv[1], sys.argv[2:]
fam = lambda h: socket.AF_INET6 if ":" in h else socket.AF_INET
if cmd == "tcp":
    try:
        socket.create_connection((a[0], int(a[1])), timeout=2).close()
    except OSError:
        sys.exit(1)
elif cmd == "udp":
    s = socket.socket(fam(a[0]), socket.SOCK_DGRAM)
    if len(a) > 3:
        s.bind(("", int(a[3])))
    for i in range(int(a[2])):
        s.sendto(b"x" * 16, (a[0], int(a[1])))
        time.sleep(0.01)
elif cmd == "esp":
    s = socket.socket(fam(a[0]), socket.SOCK_RAW, 50)
    for i in range(int(a[1])):
        s.sendto(struct.pack("!II", 0x4953, i + 1) + b"\0" * 16, (a[0], 0))
        time.sleep(0.01)
elif cmd == "echo":
    s = socket.socket(fam(a[0]), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"ping", (a[0], int(a[1])))
    try:
        s.recvfrom(100)
    except OSError:
        sys.exit(1)
elif cmd == "flood":
    n, stop = [0], [False]
    signal.signal(signal.SIGTERM, lambda *x: stop.__setitem__(0, True))
    s = socket.socket(fam(a[0]), socket.SOCK_DGRAM)
    dst = [(a[0], int(a[1])), (a[0], int(a[2]))]
    while not stop[0]:
        try:
            s.sendto(b"f" * 32, dst[n[0] & 1])
            n[0] += 1
        except OSError:
            time.sleep(0.001)
    print(n[0])
elif cmd == "tun":
    name, src, dst, port, count = a[0], a[1], a[2], int(a[3]), int(a[4])
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), 0x1001))
    subprocess.check_call(["ip", "link", "set", name, "up"])
    def csum(b):
        s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF
    payload = b"decrypted"
    udp = struct.pack("!HHHH", 4000, port, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64,
                      17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    for i in range(count):
        os.write(fd, hdr + udp)
        time.sleep(0.01)
    time.sleep(0.3)
EOF

# ---- namespaces -------------------------------------------------------

ns_setup "-nft" || { fail "namespace setup"; exit 1; }
# "in": a host behind red, which forwards (the gateway case).
ip netns add "$IN" || { fail "netns $IN"; exit 1; }
ip link add "vg$$" type veth peer name "vi$$" || { fail "veth"; exit 1; }
ip link set "vg$$" netns "$RED" && ip link set "vi$$" netns "$IN" &&
	ip -n "$RED" link set "vg$$" name vin &&
	ip -n "$IN" link set "vi$$" name veth0 &&
	ip -n "$RED" addr add $GW_IN_V4/24 dev vin &&
	ip -n "$RED" link set vin up &&
	ip -n "$IN" link set lo up &&
	ip -n "$IN" link set veth0 up &&
	ip -n "$IN" addr add $IN_V4/24 dev veth0 &&
	ip -n "$IN" route add default via $GW_IN_V4 &&
	ip netns exec "$RED" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
	{ fail "namespace $IN"; exit 1; }

ip netns exec "$RED" python3 "$T/srv.py" "$T/red.cnt" tcp:8080 tcp:8081 udp:500 udp:68 \
	udp:9997 udp:9998 udp:9999 esp > "$T/srv_red.log" 2>&1 &
SRV_RED=$!
PIDS="$PIDS $SRV_RED"
ip netns exec "$BLUE" python3 "$T/srv.py" "$T/blue.cnt" echo:7777 udp:500 \
	> "$T/srv_blue.log" 2>&1 &
PIDS="$PIDS $!"
ip netns exec "$IN" python3 "$T/srv.py" "$T/in.cnt" tcp:8080 \
	> "$T/srv_in.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 50); do
	[ -e "$T/red.cnt.ready" ] && [ -e "$T/blue.cnt.ready" ] && break
	sleep 0.1
done

# count SPEC: what red's server has received on SPEC so far.
count() {
	rm -f "$T/red.cnt"
	kill -USR1 "$SRV_RED"
	for i in $(seq 50); do
		[ -e "$T/red.cnt" ] && break
		sleep 0.05
	done
	awk -v k="$1" '$1 == k { print $2 }' "$T/red.cnt"
}

# ---- the agent (nft_apply in red, driven line by line) ----------------

AGENT_PID=
start_agent() {
	coproc AG { in_red "$NFTA" "$@" 2> "$T/agent.log"; }
	AGENT_PID=$AG_PID
}
stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	local rc
	echo quit >&"${AG[1]}" 2> /dev/null
	wait "$AGENT_PID" 2> /dev/null
	rc=$?
	AGENT_PID=
	# Non-zero: a sanitizer report (in agent.log) or a crash.
	[ "$rc" = 0 ] || fail "nft_apply exited with status $rc"
}
# cmd WORDS: sends one command; its answer is in $ANSWER.
cmd() {
	ANSWER=
	echo "$*" >&"${AG[1]}" || { fail "agent gone at: $*"; return 1; }
	read -r -t 120 ANSWER <&"${AG[0]}" ||
		{ fail "no answer to: $*"; return 1; }
	case $ANSWER in
	ok*) return 0 ;;
	*) fail "$*: $ANSWER"; return 1 ;;
	esac
}
ctr() { # ctr NAME: a counter of the last "counters" answer
	set -- "$1" $ANSWER
	local name=$1
	shift 2
	while [ $# -ge 2 ]; do
		[ "$1" = "$name" ] && { echo "$2"; return; }
		shift 2
	done
	echo -1
}

ping_ok() { # ping_ok NS ADDR [ping options]
	local ns=$1 addr=$2
	shift 2
	ip netns exec "$ns" ping -c 2 -i 0.2 -W 1 -q "$@" "$addr" > /dev/null 2>&1
}
expect_ping() { ping_ok "$@" || fail "ping $* should pass"; }
expect_no_ping() { ! ping_ok "$@" || fail "ping $* should be dropped"; }
tcp_ok() { ip netns exec "$1" python3 "$T/cli.py" tcp "$2" "$3"; }

# ---- policy ------------------------------------------------------------

start_agent ipsec0

echo "== no filters: clear text passes"
cmd apply
in_red nft list table inet $TABLE > /dev/null || fail "table $TABLE missing"
expect_ping "$BLUE" $RED_V4
expect_ping "$BLUE" $RED_V6

echo "== a peer that must negotiate"
cmd clear
cmd filter $RED_V4/32 $BLUE_V4/32 0 0 0 negotiate
cmd filter $BLUE_V4/32 $RED_V4/32 0 0 0 negotiate
cmd filter $RED_V6/128 $BLUE_V6/128 0 0 0 negotiate
cmd filter $BLUE_V6/128 $RED_V6/128 0 0 0 negotiate
cmd apply
expect_no_ping "$BLUE" $RED_V4
expect_no_ping "$BLUE" $RED_V6
cmd counters
[ "$(ctr cleartext)" -ge 4 ] || fail "cleartext counter: $ANSWER"
# IKE and ESP from the peer arrive; over IPv6 only if neighbour
# discovery passes, so the neighbour caches start empty.
in_red ip -6 neigh flush dev veth0
in_blue ip -6 neigh flush dev veth0
ike0=$(count udp:500) esp0=$(count esp) tun0=$(count udp:9997)
in_blue python3 "$T/cli.py" udp $RED_V4 500 3
in_blue python3 "$T/cli.py" udp $RED_V6 500 3
in_blue python3 "$T/cli.py" esp $RED_V4 3
in_blue python3 "$T/cli.py" esp $RED_V6 3
# Decrypted traffic enters through the TUN device: it passes.
in_red python3 "$T/cli.py" tun ipsec0 $BLUE_V4 $RED_V4 9997 3 ||
	fail "TUN injection"
in_blue python3 "$T/cli.py" udp $RED_V4 9997 3 # clear: dropped
sleep 0.3
[ "$(count udp:500)" -ge $((ike0 + 6)) ] || fail "IKE from the peer dropped"
[ "$(count esp)" -ge $((esp0 + 6)) ] || fail "ESP from the peer dropped"
[ "$(count udp:9997)" = $((tun0 + 3)) ] ||
	fail "TUN traffic: $(count udp:9997), want $((tun0 + 3))"

echo "== inpass"
cmd clear
cmd filter $RED_V4/32 $BLUE_V4/32 0 0 0 negotiate inpass
cmd filter $BLUE_V4/32 $RED_V4/32 0 0 0 negotiate inpass
cmd filter $BLUE_V6/128 $RED_V6/128 0 0 0 negotiate inpass
cmd filter any any 17 0 9999 negotiate
cmd apply
expect_ping "$BLUE" $RED_V4
expect_ping "$BLUE" $RED_V6

echo "== soft"
cmd clear
cmd filter $BLUE_V4/32 $RED_V4/32 0 0 0 negotiate soft
cmd apply
expect_no_ping "$BLUE" $RED_V4
cmd soft add $BLUE_V4
expect_ping "$BLUE" $RED_V4
cmd apply # a new policy keeps the soft peers
expect_ping "$BLUE" $RED_V4
cmd soft del $BLUE_V4
expect_no_ping "$BLUE" $RED_V4

echo "== block filter on a port"
cmd clear
cmd filter $BLUE_V4/32 $RED_V4/32 6 0 8080 block
cmd filter $RED_V4/32 $BLUE_V4/32 6 8080 0 block
cmd apply
cmd counters
b0=$(ctr blocked)
tcp_ok "$BLUE" $RED_V4 8080 && fail "TCP 8080 should be blocked"
tcp_ok "$BLUE" $RED_V4 8081 || fail "TCP 8081 should pass"
expect_ping "$BLUE" $RED_V4
cmd counters
[ "$(ctr blocked)" -gt "$b0" ] || fail "blocked counter: $ANSWER"

echo "== tunnel filter on a gateway (forward)"
cmd clear
cmd filter 10.78.1.0/24 10.78.2.0/24 0 0 0 negotiate tunnel
cmd filter 10.78.2.0/24 10.78.1.0/24 0 0 0 negotiate tunnel
cmd apply
expect_no_ping "$BLUE" $IN_V4 -I $BLUE_IN4
expect_ping "$BLUE" $IN_V4 # from 10.77.0.2: no filter
tcp_ok "$BLUE" $IN_V4 8080 || fail "TCP through the gateway should pass"
cmd clear
cmd filter 10.78.1.0/24 10.78.2.0/24 0 0 0 negotiate tunnel inpass
cmd filter 10.78.2.0/24 10.78.1.0/24 0 0 0 negotiate tunnel inpass
cmd apply
expect_ping "$BLUE" $IN_V4 -I $BLUE_IN4

echo "== atomic replacement under a flood"
cmd clear
cmd filter $BLUE_V4/32 $RED_V4/32 17 0 9998 permit
cmd filter $BLUE_V4/32 $RED_V4/32 0 0 0 negotiate
cmd apply
drop0=$(count udp:9999) pass0=$(count udp:9998)
ip netns exec "$BLUE" python3 "$T/cli.py" flood $RED_V4 9999 9998 \
	> "$T/flood.out" &
FLOOD=$!
PIDS="$PIDS $FLOOD"
sleep 0.3
start=$(date +%s%N)
cmd reapply 100
cmd reapply-fresh 100
cmd apply # back in the agent's hands
end=$(date +%s%N)
sleep 0.2
kill -TERM $FLOOD
wait $FLOOD
sent=$(cat "$T/flood.out")
drop1=$(count udp:9999) pass1=$(count udp:9998)
echo "   200 replacements in $(((end - start) / 1000000)) ms;" \
	"$sent datagrams sent, $((pass1 - pass0)) permitted ones received," \
	"$((drop1 - drop0)) dropped ones received"
[ "$drop1" = "$drop0" ] ||
	fail "$((drop1 - drop0)) datagrams of the dropped port got through"
[ "$((pass1 - pass0))" -gt 100 ] || fail "the flood did not run"

echo "== the table goes with the agent"
stop_agent
in_red nft list table inet $TABLE > /dev/null 2>&1 &&
	fail "table $TABLE left behind"
expect_ping "$BLUE" $RED_V4

# ---- boot modes --------------------------------------------------------

EXEMPT="TCP:0:8081:inbound UDP:0:7777:outbound"
start_agent ipsec0

echo "== boot mode block"
cmd boot block $EXEMPT
expect_no_ping "$BLUE" $RED_V4
expect_no_ping "$BLUE" $RED_V6
expect_no_ping "$RED" $BLUE_V4
tcp_ok "$BLUE" $RED_V4 8080 && fail "boot block: TCP 8080 passed"
tcp_ok "$BLUE" $RED_V4 8081 || fail "boot block: exempt TCP 8081 dropped"
in_red python3 "$T/cli.py" echo $BLUE_V4 7777 ||
	fail "boot block: outbound exemption (and its reply) dropped"
ike0=$(count udp:500) dhcp0=$(count udp:68)
in_blue python3 "$T/cli.py" udp $RED_V4 500 3
in_blue python3 "$T/cli.py" udp $RED_V4 68 3 67 # a DHCP server's answer
in_blue python3 "$T/cli.py" udp $RED_V4 68 3 # not from port 67: dropped
sleep 0.2
[ "$(count udp:500)" = $((ike0 + 3)) ] || fail "boot block: IKE dropped"
[ "$(count udp:68)" = $((dhcp0 + 3)) ] ||
	fail "boot block: DHCP $(count udp:68), want $((dhcp0 + 3))"
cmd counters
[ "$(ctr boot)" -ge 6 ] || fail "boot counter: $ANSWER"

echo "== boot mode stateful"
cmd boot stateful $EXEMPT
expect_no_ping "$BLUE" $RED_V4
expect_ping "$RED" $BLUE_V4
expect_ping "$RED" $BLUE_V6
tcp_ok "$BLUE" $RED_V4 8080 && fail "boot stateful: TCP 8080 passed"
tcp_ok "$BLUE" $RED_V4 8081 || fail "boot stateful: exempt TCP 8081 dropped"
cmd counters
boot=$(ctr boot)

echo "== from boot mode to the policy"
cmd clear
cmd filter $BLUE_V4/32 $RED_V4/32 0 0 0 negotiate
cmd apply
expect_no_ping "$BLUE" $RED_V4
tcp_ok "$BLUE" $RED_V4 8081 && fail "policy: clear TCP from the peer passed"
expect_ping "$BLUE" $RED_V6
cmd counters
[ "$(ctr boot)" -ge "$boot" ] || fail "boot counter lost: $ANSWER (was $boot)"
[ "$(ctr cleartext)" -ge 2 ] || fail "cleartext counter: $ANSWER"

echo "== boot mode permit"
cmd boot permit
expect_ping "$BLUE" $RED_V4
expect_ping "$RED" $BLUE_V4
tcp_ok "$BLUE" $RED_V4 8080 || fail "boot permit: TCP 8080 dropped"
stop_agent
in_red nft list table inet $TABLE > /dev/null 2>&1 &&
	fail "table $TABLE left behind"

[ -s "$T/agent.log" ] && { echo "--- agent's standard error"; cat "$T/agent.log"; }
if [ "$FAILED" = 0 ]; then
	echo "PASS: nft_enforce"
	exit 0
fi
exit 1
