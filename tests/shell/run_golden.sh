#!/bin/sh
# run_golden.sh IPSECSH NAME
#
# Runs tests/shell/NAME.in as a script (standard input) against a fresh
# store and compares everything it prints, output and errors in order,
# with NAME.out.  What changes from run to run (GUIDs, times) is
# normalised first.  UPDATE_GOLDEN=1 rewrites NAME.out instead.
set -u
ipsecsh=$1
name=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work" || exit 1
# Scripts a transcript may exec.
cp "$here"/*.netsh "$here"/../../examples/*/*.netsh "$work"/
# Fixed time zone and no user aliases: the transcript is the same on
# every machine.  A transcript whose first line is "# service" runs
# against a service of its own; the others find none.
sock="$work/no-service.sock"
if head -n 1 "$here/$name.in" | grep -q '^# service'; then
	sock="$work/service.sock"
	TZ=UTC "$ipsecsh" --socket "$sock" service start tun=none > /dev/null ||
		exit 1
	trap '"$ipsecsh" --socket "$sock" service stop > /dev/null; rm -rf "$work"' EXIT
fi
TZ=UTC IPSECSH_SOCKET="$sock" \
	"$ipsecsh" --store "$work/policy.db" < "$here/$name.in" > raw 2>&1
echo "exit status: $?" >> raw
sed -E \
	-e 's/\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}/{GUID}/g' \
	-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/TIME/g' \
	-e "s#$work#WORK#g" raw > actual

if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
	cp actual "$here/$name.out"
	exit 0
fi
if ! diff -u "$here/$name.out" actual; then
	echo "golden transcript $name differs (UPDATE_GOLDEN=1 to accept)" >&2
	exit 1
fi
