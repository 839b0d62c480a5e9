#!/bin/sh
# modes.sh IPSECSH
#
# The same script run with -f, on standard input, and line by line as
# one-shot commands must build the same store.  One-shot commands share
# no session, so the script is full.netsh up to its first "set store"
# (which only lasts for a session).
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export IPSECSH_SOCKET="$work/none.sock"
fail() { echo "FAIL: $*" >&2; exit 1; }
sed '/set store/,$d' "$here/full.netsh" > "$work/script.netsh"

"$ipsecsh" --store "$work/f.db" -f "$work/script.netsh" || fail "-f"
"$ipsecsh" --store "$work/s.db" < "$work/script.netsh" || fail "stdin"
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	# The shell splits the line into words as a caller would.
	eval "set -- $line"
	"$ipsecsh" --store "$work/o.db" "$@" || fail "one-shot: $line"
done < "$work/script.netsh"

for m in f s o; do
	"$ipsecsh" --store "$work/$m.db" dump > "$work/$m.dump" || fail "dump $m"
done
cmp "$work/f.dump" "$work/s.dump" || fail "-f and stdin differ"
cmp "$work/f.dump" "$work/o.dump" || fail "-f and one-shot differ"
echo "modes: ok"
