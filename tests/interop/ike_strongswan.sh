#!/bin/bash
# ike_strongswan.sh IPSECSH ROLE AUTH ESP
#
# IKEv1 interop: ipsecsh in namespace red (10.77.0.1, subnet 10.78.1.0/24)
# and strongSwan's charon in blue (10.77.0.2, subnet 10.78.2.0/24), tunnel
# mode between the subnets with ESP in UDP 4500 (strongSwan's userspace
# datapath insists on it and fakes a NAT to get it).
#   ROLE  initiator (ipsecsh starts, from an acquire) or responder
#   AUTH  psk or cert (RSA signatures, certificates from one test CA)
#   ESP   gcm (AES-128-GCM) or cbc (AES-128-CBC + HMAC-SHA-256)
# Checks: ping both ways between the subnets; a TCP transfer with its
# SHA-256 compared; show mmsas / qmsas list the SAs; tshark decodes every
# ISAKMP message with nothing malformed, and sees no clear text between
# the gateways.  Exit 0 only if all of it held; 77 when strongSwan is not
# installed (skipped).
set -u
ipsecsh=$1
role=${2:-initiator}
auth=${3:-psk}
esp=${4:-gcm}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
chmod 755 "$work"
tag=$$
fail() {
	echo "FAIL (ike_strongswan $role $auth $esp): $*" >&2
	[ -f "$work/ss/charon.log" ] && tail -40 "$work/ss/charon.log" >&2
	[ -f "$work/red.log" ] && tail -40 "$work/red.log" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
[ -x /usr/lib/ipsec/charon ] && command -v swanctl > /dev/null ||
	{ echo "strongSwan is not installed: skipped"; exit 77; }

. "$here/../netns/lib.sh"
cleanup() {
	in_red "$ipsecsh" --socket "$work/red.sock" service stop \
		> /dev/null 2>&1
	bash "$here/strongswan.sh" stop "$work/ss" 2> /dev/null
	ns_teardown
	[ -n "${KEEP:-}" ] && cp -r "$work" /tmp/keep-iop; rm -rf "$work"
}
trap cleanup EXIT
ns_setup "i$tag" || fail "namespaces"

case $esp in
gcm) ss_esp=aes128gcm16-modp2048 our_esp="ESP[AES128GCM]" ;;
cbc) ss_esp=aes128-sha256-modp2048 our_esp="ESP[AES128,SHA256]" ;;
*) fail "ESP is gcm or cbc" ;;
esac

# ---- credentials ----
our_auth="psk=\"interop secret\""
if [ "$auth" = cert ]; then
	pki=$work/pki
	mkdir -p "$pki/red/certs" "$pki/red/private"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Interop Root CA" \
		-keyout "$pki/ca.key" -out "$pki/ca.pem" -sha256 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null ||
		fail "CA"
	for who in red blue; do
		openssl req -newkey rsa:2048 -nodes -subj "/O=ipsecsh/CN=$who" \
			-keyout "$pki/$who.key" -out "$pki/$who.csr" 2> /dev/null &&
		openssl x509 -req -in "$pki/$who.csr" -CA "$pki/ca.pem" \
			-CAkey "$pki/ca.key" -CAcreateserial -days 30 -sha256 \
			-out "$pki/$who.pem" 2> /dev/null || fail "cert $who"
	done
	cp "$pki/ca.pem" "$pki/red/certs/ca.pem"
	cp "$pki/red.pem" "$pki/red/certs/local.pem"
	install -m 0600 "$pki/red.key" "$pki/red/private/local.key"
	our_auth="rootca=\"CN=Interop Root CA\""
	certargs="certdir=$pki/red/certs keyfile=$pki/red/private/local.key"
fi

# ---- strongSwan in blue ----
ss_start=none
[ "$role" = responder ] && ss_start=none
if [ "$auth" = cert ]; then
	AUTH=pubkey CERT=$pki/blue.pem KEY=$pki/blue.key CA=$pki/ca.pem \
	LOCAL_TS=10.78.2.0/24 REMOTE_TS=10.78.1.0/24 ESP=$ss_esp LOG=2 \
		bash "$here/strongswan.sh" start "$BLUE" $BLUE_V4 $RED_V4 \
		"$work/ss" || fail "charon"
else
	AUTH=psk PSK="interop secret" \
	LOCAL_TS=10.78.2.0/24 REMOTE_TS=10.78.1.0/24 ESP=$ss_esp LOG=2 \
		bash "$here/strongswan.sh" start "$BLUE" $BLUE_V4 $RED_V4 \
		"$work/ss" || fail "charon"
fi

# ---- ipsecsh in red ----
in_red "$ipsecsh" --socket "$work/red.sock" service start ${certargs:-} \
	> /dev/null || fail "service start"
sh_red() { in_red "$ipsecsh" --socket "$work/red.sock" "$@"; }
sh_red ipsec dynamic set config ikelogging 1 > /dev/null
sh_red ipsec dynamic add mmpolicy name=MM mmsec="AES128-SHA256-14" > /dev/null ||
	fail "mmpolicy"
sh_red ipsec dynamic add qmpolicy name=QM pfsgroup=GRP14 qmsec="$our_esp" \
	> /dev/null || fail "qmpolicy"
eval sh_red ipsec dynamic add rule srcaddr=10.78.1.0 srcmask=24 \
	dstaddr=10.78.2.0 dstmask=24 tunneldstaddress=$BLUE_V4 \
	mmpolicy=MM qmpolicy=QM "$our_auth" > /dev/null || fail "rule"

capture=
if command -v tshark > /dev/null; then
	ip netns exec "$BLUE" tshark -q -i veth0 -w "$work/wire.pcapng" > /dev/null 2>&1 &
	capture=$!
	sleep 1.5
fi

# ---- negotiate ----
if [ "$role" = responder ]; then
	bash "$here/strongswan.sh" swanctl "$work/ss" --initiate --child net \
		> "$work/initiate.log" 2>&1 ||
		fail "strongSwan could not initiate: $(tail -5 "$work/initiate.log")"
else
	# The first packets start the negotiation; they wait in the queue.
	in_red ping -c 1 -W 5 -I $RED_IN4 $BLUE_IN4 > /dev/null 2>&1
fi
ok=
for _ in $(seq 50); do
	if sh_red ipsec dynamic show qmsas format=json 2> /dev/null |
		grep -q '"spi"'; then ok=1; break; fi
	sleep 0.2
done
[ -n "$ok" ] || fail "no quick mode SAs"

in_red ping -c 3 -i 0.2 -W 3 -I $RED_IN4 $BLUE_IN4 > "$work/ping" 2>&1 ||
	fail "ping red -> blue: $(cat "$work/ping")"
in_blue ping -c 3 -i 0.2 -W 3 -I $BLUE_IN4 $RED_IN4 > "$work/ping" 2>&1 ||
	fail "ping blue -> red: $(cat "$work/ping")"

head -c 1000000 /dev/urandom > "$work/data"
want=$(sha256sum < "$work/data" | cut -d' ' -f1)
in_blue python3 "$here/../netns/tcp_sink.py" $BLUE_IN4 5001 > "$work/got" &
sink=$!
sleep 0.3
in_red python3 "$here/../netns/tcp_send.py" $BLUE_IN4 5001 $RED_IN4 \
	< "$work/data" || fail "tcp send"
wait $sink || fail "tcp sink"
[ "$(cat "$work/got")" = "$want" ] || fail "tcp data differ"

sh_red ipsec dynamic show mmsas > "$work/mmsas" || fail "show mmsas"
sh_red ipsec dynamic show qmsas > "$work/qmsas" || fail "show qmsas"
grep -q "NAT Traversal : YES" "$work/mmsas" ||
	fail "main mode SA not floated: $(cat "$work/mmsas")"
want_auth="Preshared Key"
[ "$auth" = cert ] && want_auth="Certificate"
grep -q "Auth Mode     : $want_auth" "$work/mmsas" ||
	fail "auth mode: $(cat "$work/mmsas")"
grep -q "UDP" "$work/qmsas" || fail "qmsas not UDP-encapsulated"
want_init=YES
[ "$role" = responder ] && want_init=NO
grep -q "Initiator     : $want_init" "$work/mmsas" ||
	fail "initiator: $(cat "$work/mmsas")"
bash "$here/strongswan.sh" swanctl "$work/ss" --list-sas > "$work/sslist" 2>&1
grep -q INSTALLED "$work/sslist" || fail "strongSwan has no SA: $(cat "$work/sslist")"

if [ -n "$capture" ]; then
	sleep 0.5
	kill -INT $capture
	wait $capture
	isakmp=$(tshark -r "$work/wire.pcapng" -Y isakmp 2> /dev/null | wc -l)
	bad=$(tshark -r "$work/wire.pcapng" \
		-Y '_ws.malformed || _ws.expert.severity == error' 2> /dev/null | wc -l)
	clear=$(tshark -r "$work/wire.pcapng" -Y 'icmp || tcp' 2> /dev/null | wc -l)
	[ "$isakmp" -ge 9 ] || fail "wire: only $isakmp ISAKMP messages"
	[ "$bad" = 0 ] || fail "wire: $bad malformed packets"
	[ "$clear" = 0 ] || fail "wire: $clear packets in clear text"
fi
echo "ike_strongswan $role $auth $esp: ok"
