#!/bin/sh
# bad_input.sh IPSECSH
#
# Each bad command must fail (exit 1) with a message that says what is
# wrong, and leave the store byte-identical (compared through dump).
set -u
ipsecsh=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export IPSECSH_SOCKET="$work/none.sock"
store="$work/s.db"
failures=0

"$ipsecsh" --store "$store" -f "$here/full.netsh" || { echo "FAIL: fill"; exit 1; }
printf '# not an export\nadd policy name=Evil\n' > "$work/broken.ipsec"
# An export whose last line is bad: the lines before it must not land.
printf '# ipsecsh policy export 1\nadd filterlist name=Fresh\nadd policy name=Late mmlifetime=99999\n' > "$work/late-error.ipsec"

# Each case: expected message fragment, then the command words.
check() {
	want=$1
	shift
	"$ipsecsh" --store "$store" dump > "$work/before"
	if "$ipsecsh" --store "$store" "$@" > "$work/out" 2>&1; then
		echo "FAIL: succeeded: $*"
		failures=$((failures + 1))
		return
	fi
	if ! grep -qF -- "$want" "$work/out"; then
		echo "FAIL: message for: $*"
		echo "  wanted: $want"
		echo "  got:    $(cat "$work/out")"
		failures=$((failures + 1))
	fi
	"$ipsecsh" --store "$store" dump > "$work/after"
	if ! cmp -s "$work/before" "$work/after"; then
		echo "FAIL: store changed by: $*"
		diff "$work/before" "$work/after"
		failures=$((failures + 1))
	fi
}

S="ipsec static"
check 'not a valid tag' $S add policy name=X colour=red
check 'is ambiguous' $S add policy name=X m=yes
check '"10.0.0.256"' $S add filter filterlist=Web srcaddr=10.0.0.256 dstaddr=me
check 'mmlifetime=4 is out of range: use 5-2880.' $S add policy name=X mmlifetime=4
check 'mmlifetime=2881 is out of range' $S set policy name=Server mmlifetime=2881
check 'is used by rule "Web Secure" of policy "Server"' $S delete filterlist Web
check 'is used by rule' $S delete filteraction Secure
check 'already exists' $S add policy name=server
check 'already exists' $S add filterlist name=WEB
check 'already exists' $S add filteraction name=block
check 'not an ipsecsh policy export' $S importpolicy file="$work/broken.ipsec"
check 'mmlifetime=99999 is out of range' $S importpolicy file="$work/late-error.ipsec"
check 'could not be opened' $S importpolicy file="$work/missing.ipsec"
check 'does not exist' $S set policy name=Nope assign=yes
check 'does not exist' $S add rule name=R policy=Server filterlist=Nope filteraction=Block
check 'needs an authentication method' $S add rule name=R policy=Server filterlist=Empty filteraction=Secure
check 'Kerberos authentication is not available' $S add rule name=R policy=Server filterlist=Empty filteraction=Secure kerberos=yes
check 'cannot be deleted' $S delete rule id=0 policy=Server
check 'One or more essential parameters were not entered' $S add filter filterlist=Web srcaddr=any
check 'unknown Diffie-Hellman group "7"' $S add policy name=X mmsec="AES128-SHA256-7"
check 'ESP[None,None]' $S add filteraction name=X qmsec="ESP[None,None]"
check 'needs protocol=TCP or protocol=UDP' $S add filter filterlist=Web srcaddr=any dstaddr=me dstport=80
check 'srcmask' $S add filter filterlist=Web srcaddr=10.0.0.1-10.0.0.5 srcmask=24 dstaddr=me
check 'different IP versions' $S add filter filterlist=Web srcaddr=10.0.0.1 dstaddr=2001:db8::1
check 'no domain store is configured' $S set store location=domain
check 'The following command was not found' $S frobnicate all
check 'is not closed' $S add policy 'name="unterminated'
check 'already has this filter' $S add filter filterlist=Web srcaddr=any dstaddr=me protocol=TCP dstport=80
check 'give only one of' $S delete policy name=Server all
check 'was given more than once' $S add policy name=X name=Y

# A failing script line: FILE:LINE: message, exit 1, the rest still runs.
printf 'ipsec static add policy name=Ok1\nipsec static add policy name=Bad mmlifetime=1\nipsec static add policy name=Ok2\n' > "$work/script.netsh"
"$ipsecsh" --store "$work/t.db" -f "$work/script.netsh" 2> "$work/err"
st=$?
[ $st = 1 ] || { echo "FAIL: script exit status $st"; failures=$((failures + 1)); }
grep -q "script.netsh:2: add policy: mmlifetime=1 is out of range" "$work/err" ||
	{ echo "FAIL: script error line: $(cat "$work/err")"; failures=$((failures + 1)); }
"$ipsecsh" --store "$work/t.db" ipsec static show policy Ok2 > /dev/null ||
	{ echo "FAIL: the script stopped at the bad line"; failures=$((failures + 1)); }
"$ipsecsh" --store "$work/u.db" --stop-on-error -f "$work/script.netsh" 2> /dev/null
if "$ipsecsh" --store "$work/u.db" ipsec static show policy Ok2 > /dev/null 2>&1; then
	echo "FAIL: --stop-on-error went on"; failures=$((failures + 1))
fi

[ $failures = 0 ] && echo "bad_input: ok"
exit $((failures != 0))
