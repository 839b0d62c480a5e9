#!/bin/sh
# examples/run.sh [IPSECSH]
#
# The main job until the service runs: applies every example script to a
# fresh store and shows the result.  Exit status 0 only if every script
# ran without an error.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ipsecsh=${1:-$here/../build/ipsecsh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export IPSECSH_STORE="$work/policy.db"
export IPSECSH_SOCKET="$work/none.sock"
status=0

for script in "$here"/*/*.netsh; do
	echo "== $(basename "$script")"
	"$ipsecsh" -f "$script" || status=1
done
echo "== ipsecsh ipsec static show all"
"$ipsecsh" ipsec static show all || status=1
exit $status
