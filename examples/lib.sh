# examples/lib.sh - what the examples' run.sh demonstrations share.
# Source it; then:
#   tcp_transfer FROM_NS TO_NS TO_ADDR WORK
#       sends 1 MB of random bytes over TCP (port 8000) and compares it
#       by SHA-256 on arrival; returns non-zero if it did not arrive
#       intact.  Needs python3.
#   wire_start NS DEV WORK / wire_check WORK
#       captures DEV in NS with tshark (if installed), then prints what
#       crossed it and fails unless there were ISAKMP and ESP and no
#       clear ICMP or TCP.  Without tshark both do nothing.

tcp_transfer() {
	local from=$1 to=$2 addr=$3 work=$4 want sink
	head -c 1000000 /dev/urandom > "$work/data"
	want=$(sha256sum < "$work/data" | cut -d' ' -f1)
	ip netns exec "$to" python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8000)); s.listen(1); s.settimeout(10)
c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    h.update(b)
print(h.hexdigest())' "$addr" > "$work/got" &
	sink=$!
	sleep 0.5
	ip netns exec "$from" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 8000), timeout=10)
s.sendall(sys.stdin.buffer.read()); s.close()' "$addr" < "$work/data" ||
		return 1
	wait $sink || return 1
	[ "$(cat "$work/got")" = "$want" ] || return 1
	echo "   1000000 bytes arrived intact"
}

wire_pid=
wire_start() {
	command -v tshark > /dev/null || return 0
	ip netns exec "$1" tshark -q -i "$2" -w "$3/wire.pcapng" \
		> /dev/null 2>&1 &
	wire_pid=$!
	sleep 1.5
}

wire_check() {
	local esp isakmp clear
	[ -n "$wire_pid" ] || return 0
	sleep 0.5
	kill -INT $wire_pid
	wait $wire_pid
	wire_pid=
	count() { tshark -r "$1/wire.pcapng" -Y "$2" 2> /dev/null | wc -l; }
	esp=$(count "$1" esp)
	isakmp=$(count "$1" isakmp)
	clear=$(count "$1" 'icmp || tcp')
	echo "== on the wire (tshark): $isakmp ISAKMP, $esp ESP, $clear in clear text"
	[ "$clear" = 0 ] && [ "$esp" -gt 0 ] && [ "$isakmp" -ge 9 ]
}
