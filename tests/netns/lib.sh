# tests/netns/lib.sh - namespaces red and blue joined by a veth pair, for
# the end-to-end tests and the benchmark.  Source it, then:
#   ns_setup TAG      creates red$TAG and blue$TAG (TAG keeps parallel
#                     runs apart; "" gives plain red and blue)
#   ns_teardown       removes them (also on exit: the caller traps it)
#   in_red CMD...     / in_blue CMD...   runs a command in one of them
#
# Addresses (the veth is "veth0" in both):
#   red   10.77.0.1/24  fd77::1/64     inner (on lo): 10.78.1.1/32 fd78:1::1/128
#   blue  10.77.0.2/24  fd77::2/64     inner (on lo): 10.78.2.1/32 fd78:2::1/128
# Inner addresses live on lo because this kernel has no dummy interfaces.
# IPv6 addresses are added with nodad so they are usable at once.

RED_V4=10.77.0.1 BLUE_V4=10.77.0.2 RED_V6=fd77::1 BLUE_V6=fd77::2
RED_IN4=10.78.1.1 BLUE_IN4=10.78.2.1 RED_IN6=fd78:1::1 BLUE_IN6=fd78:2::1

in_red() { ip netns exec "$RED" "$@"; }
in_blue() { ip netns exec "$BLUE" "$@"; }

ns_setup() {
	RED=red$1 BLUE=blue$1
	ns_teardown
	ip netns add "$RED" || return 1
	ip netns add "$BLUE" || return 1
	# Temporary names in the root namespace, unique per process.
	ip link add "vr$$" type veth peer name "vb$$" || return 1
	ip link set "vr$$" netns "$RED" || return 1
	ip link set "vb$$" netns "$BLUE" || return 1
	ip -n "$RED" link set "vr$$" name veth0 || return 1
	ip -n "$BLUE" link set "vb$$" name veth0 || return 1
	for ns in "$RED" "$BLUE"; do
		ip -n "$ns" link set lo up || return 1
		ip -n "$ns" link set veth0 up || return 1
	done
	ip -n "$RED" addr add $RED_V4/24 dev veth0 || return 1
	ip -n "$BLUE" addr add $BLUE_V4/24 dev veth0 || return 1
	ip -n "$RED" addr add $RED_V6/64 dev veth0 nodad || return 1
	ip -n "$BLUE" addr add $BLUE_V6/64 dev veth0 nodad || return 1
	ip -n "$RED" addr add $RED_IN4/32 dev lo || return 1
	ip -n "$BLUE" addr add $BLUE_IN4/32 dev lo || return 1
	ip -n "$RED" addr add $RED_IN6/128 dev lo nodad || return 1
	ip -n "$BLUE" addr add $BLUE_IN6/128 dev lo nodad || return 1
	# The inner prefixes are reached through the other side; the
	# runtime's table routes them into its TUN device first.
	ip -n "$RED" route add 10.78.2.0/24 via $BLUE_V4 || return 1
	ip -n "$BLUE" route add 10.78.1.0/24 via $RED_V4 || return 1
	ip -n "$RED" -6 route add fd78:2::/64 via $BLUE_V6 || return 1
	ip -n "$BLUE" -6 route add fd78:1::/64 via $RED_V6 || return 1
	return 0
}

ns_teardown() {
	[ -n "${RED:-}" ] && ip netns del "$RED" 2> /dev/null
	[ -n "${BLUE:-}" ] && ip netns del "$BLUE" 2> /dev/null
	return 0
}

# Installs Debian packages that are missing (as root; serialised, since
# parallel tests may all want tshark).
need_pkgs() {
	missing=
	for p in "$@"; do
		dpkg -s "$p" > /dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	(
		flock 9
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends $missing \
			> /dev/null 2>&1 ||
			{ apt-get update -qq > /dev/null 2>&1 &&
				apt-get install -y -qq --no-install-recommends \
					$missing > /dev/null 2>&1; }
	) 9> /tmp/ipsecsh-apt.lock
}
