#!/bin/sh
# examples/run.sh [IPSECSH]
#
# Every example policy script, each applied to a fresh store of its own
# (each is one computer's policy), shown with `ipsec static show all`.
# Needs no privileges.  Exit status 0 only if every script ran without
# an error.  The demonstrations are each example's run.sh (as root).
set -u
here=$(cd "$(dirname "$0")" && pwd)
ipsecsh=${1:-$here/../build/ipsecsh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export IPSECSH_SOCKET="$work/none.sock"
status=0
n=0

for script in "$here"/*/*.netsh; do
	n=$((n + 1))
	export IPSECSH_STORE="$work/policy$n.db"
	echo "== ipsecsh -f ${script#"$here"/}"
	"$ipsecsh" -f "$script" || status=1
	echo "== ipsecsh ipsec static show all"
	"$ipsecsh" ipsec static show all || status=1
done
exit $status
