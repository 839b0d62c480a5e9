#!/bin/bash
# tests/interop/strongswan.sh - a strongSwan (Debian's charon) IKEv1 peer
# inside a network namespace, for interop tests against ipsecsh.
#
#   strongswan.sh start NETNS LOCAL_ADDR PEER_ADDR DIR   (settings below)
#   strongswan.sh swanctl DIR ARGS...                    (swanctl against it)
#   strongswan.sh stop DIR
#
# This kernel has no ESP, so charon runs with its userspace datapath
# (kernel-libipsec, a TUN device).  What that datapath imposes:
#   - tunnel mode only, and ESP always in UDP 4500: charon fakes its NAT-D
#     hash so both sides "detect" a NAT and float at Main Mode message 5;
#   - kernel-libipsec must load before kernel-netlink;
#   - charon hard-codes /var/run/charon.pid: each instance gets a private
#     /run (a bind mount in its own mount namespace).
#
# Settings (environment):
#   AUTH          psk (default) or pubkey
#   PSK           the pre-shared key (AUTH=psk)
#   CERT, KEY, CA PEM files of our certificate, its key and the root CA
#                 (AUTH=pubkey); the peer is identified by its certificate
#   LOCAL_TS, REMOTE_TS   traffic selectors (subnets behind each side)
#   IKE           IKE proposal [aes128-sha256-modp2048]
#   ESP           ESP proposal [aes128gcm16-modp2048]
#   START         none (respond) or start (initiate once loaded) [none]
#   LOG           charon log level for ike/cfg/knl [1]
#   SWANCTL_CONF  a swanctl.conf to load as it is, instead of one made
#                 from the settings above (AUTH=psk only)
set -euo pipefail

die() { echo "strongswan.sh: $*" >&2; exit 1; }

swanctl_in() { # DIR ARGS...
	local dir=$1
	shift
	ip netns exec "$(cat "$dir/netns")" env \
		STRONGSWAN_CONF="$dir/strongswan.conf" \
		swanctl "$@" --uri "unix://$dir/vici"
}

start() {
	local ns=$1 me=$2 peer=$3 dir=$4
	local auth=${AUTH:-psk}
	mkdir -p "$dir/run" "$dir/swanctl"
	dir=$(cd "$dir" && pwd)
	for d in x509 x509ca x509crl private rsa pubkey; do
		mkdir -p "$dir/swanctl/$d"
	done
	echo "$ns" > "$dir/netns"
	ln -sf /usr/lib/ipsec/charon "$dir/ss-charon"
	cat > "$dir/strongswan.conf" <<EOF
charon {
	# kernel-libipsec before kernel-netlink: the userspace datapath
	# installs the SAs, netlink only handles addresses and routes.
	load = random nonce openssl pem pkcs1 x509 pubkey revocation kernel-libipsec kernel-netlink socket-default vici
	install_routes = yes
	plugins {
		vici {
			socket = unix://$dir/vici
		}
	}
	filelog {
		ss-charon {
			path = $dir/charon.log
			time_format = %F %T
			default = 1
			ike = ${LOG:-1}
			cfg = ${LOG:-1}
			knl = ${LOG:-1}
			flush_line = yes
		}
	}
}
EOF
	local local_auth remote_auth secrets
	if [ "$auth" = pubkey ]; then
		cp "$CERT" "$dir/swanctl/x509/local.pem"
		cp "$KEY" "$dir/swanctl/private/local.key"
		cp "$CA" "$dir/swanctl/x509ca/ca.pem"
		local_auth="auth = pubkey
			certs = local.pem"
		remote_auth="auth = pubkey
			cacerts = ca.pem"
		secrets=""
	else
		local_auth="auth = psk
			id = $me"
		remote_auth="auth = psk
			id = $peer"
		secrets="secrets {
	ike-peer {
		id-local = $me
		id-remote = $peer
		secret = \"${PSK:-}\"
	}
}"
	fi
	cat > "$dir/swanctl/swanctl.conf" <<EOF
connections {
	peer {
		version = 1
		aggressive = no
		local_addrs = $me
		remote_addrs = $peer
		proposals = ${IKE:-aes128-sha256-modp2048}
		local {
			$local_auth
		}
		remote {
			$remote_auth
		}
		children {
			net {
				local_ts = ${LOCAL_TS:-$me/32}
				remote_ts = ${REMOTE_TS:-$peer/32}
				mode = tunnel
				esp_proposals = ${ESP:-aes128gcm16-modp2048}
				start_action = ${START:-none}
			}
		}
	}
}
$secrets
EOF
	[ -n "${SWANCTL_CONF:-}" ] && cp "$SWANCTL_CONF" "$dir/swanctl/swanctl.conf"
	rm -f "$dir/vici"
	ip netns exec "$ns" sh -c \
		'mount --bind "$1/run" /run && STRONGSWAN_CONF="$1/strongswan.conf" exec "$1/ss-charon"' \
		strongswan "$dir" > "$dir/charon.out" 2>&1 < /dev/null &
	echo $! > "$dir/pid"
	for _ in $(seq 50); do
		[ -S "$dir/vici" ] && break
		kill -0 "$(cat "$dir/pid")" 2> /dev/null ||
			die "charon exited: $(cat "$dir/charon.out")"
		sleep 0.1
	done
	[ -S "$dir/vici" ] || die "charon's vici socket did not appear"
	swanctl_in "$dir" --load-all --file "$dir/swanctl/swanctl.conf" \
		> "$dir/load.log" 2>&1 || die "swanctl --load-all: $(cat "$dir/load.log")"
}

stop() {
	local dir=$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	if [ "$(cat /proc/"$pid"/comm 2> /dev/null)" = ss-charon ]; then
		kill -TERM "$pid"
		for _ in $(seq 50); do
			kill -0 "$pid" 2> /dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2> /dev/null || true
	fi
	rm -f "$dir/pid"
}

case ${1:-} in
start) shift; [ $# = 4 ] || die "start NETNS LOCAL PEER DIR"; start "$@" ;;
swanctl) shift; dir=$(cd "$1" && pwd); shift; swanctl_in "$dir" "$@" ;;
stop) shift; stop "$1" ;;
*) sed -n '2,26p' "$0"; exit 2 ;;
esac
