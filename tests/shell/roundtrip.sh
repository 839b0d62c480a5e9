#!/bin/sh
# roundtrip.sh IPSECSH
#
# dump and exportpolicy must recreate a store exactly:
#   fill A -> dump -> run the dump into empty B -> dump B: identical;
#   two stores filled by the same commands dump identically;
#   A -> exportpolicy -> importpolicy into empty C -> export C: identical;
#   importing again into C clashes, fails, and changes nothing.
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export IPSECSH_SOCKET="$work/none.sock"

"$ipsecsh" --store "$work/a.db" -f "$here/full.netsh" || fail "filling A"
"$ipsecsh" --store "$work/a.db" dump > "$work/dump-a" || fail "dump A"
grep -q "web secret" "$work/dump-a" || fail "dump lacks the PSK"
"$ipsecsh" --store "$work/b.db" -f "$work/dump-a" || fail "replaying dump"
"$ipsecsh" --store "$work/b.db" dump > "$work/dump-b" || fail "dump B"
cmp "$work/dump-a" "$work/dump-b" || fail "dump of the replayed store differs"

"$ipsecsh" --store "$work/a2.db" -f "$here/full.netsh" || fail "filling A2"
"$ipsecsh" --store "$work/a2.db" dump > "$work/dump-a2"
cmp "$work/dump-a" "$work/dump-a2" || fail "same commands, different dumps"

"$ipsecsh" --store "$work/a.db" ipsec static exportpolicy file="$work/a.ipsec" ||
	fail "export A"
[ "$(stat -c %a "$work/a.ipsec")" = 600 ] || fail "export file is not 0600"
"$ipsecsh" --store "$work/c.db" ipsec static importpolicy file="$work/a.ipsec" ||
	fail "import into C"
"$ipsecsh" --store "$work/c.db" ipsec static exportpolicy file="$work/c.ipsec" ||
	fail "export C"
cmp "$work/a.ipsec" "$work/c.ipsec" || fail "export of the imported store differs"

"$ipsecsh" --store "$work/c.db" dump > "$work/before"
if "$ipsecsh" --store "$work/c.db" ipsec static importpolicy \
	file="$work/a.ipsec" 2> "$work/err"; then
	fail "a clashing import succeeded"
fi
grep -q 'already exists' "$work/err" || fail "clash message: $(cat "$work/err")"
"$ipsecsh" --store "$work/c.db" dump > "$work/after"
cmp "$work/before" "$work/after" || fail "a failed import changed the store"
echo "roundtrip: ok"
