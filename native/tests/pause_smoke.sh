#!/bin/sh
# End to end checks of podshim-pause. Namespace checks run only as root with unshare(1);
# otherwise they are reported as skipped.   usage: pause_smoke.sh OUTDIR
set -u
OUT=${1:?usage: pause_smoke.sh OUTDIR}
PAUSE=$OUT/podshim-pause
T=$(mktemp -d /tmp/podshim-pause-smoke.XXXXXX) || exit 1
pids=
# Only the processes this script started, by pid.
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
n=0 passed=0 failed=0 skipped=0 why= skip=

check() { # NAME FUNCTION
	why= skip=
	n=$((n + 1))
	if "$2"; then
		if [ -n "$skip" ]; then skipped=$((skipped + 1)); else passed=$((passed + 1)); fi
		echo "ok $n - $1${skip:+ # SKIP $skip}"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		[ -n "$why" ] && printf '%s\n' "$why" | sed 's/^/# /'
	fi
}

wait_for_file() { # PATH: up to 1 s for it to be non-empty
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
	[ -s "$1" ]
}

alive() { kill -0 "$1" 2>/dev/null; }

started() { pids="$pids $1"; }
reaped() { # PID: waited for, so never to be signalled again (the pid may be reused)
	rest=
	for q in $pids; do [ "$q" = "$1" ] || rest="$rest $q"; done
	pids=$rest
}

can_unshare() {
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v nsenter >/dev/null &&
		unshare "$@" true 2>/dev/null
}

t_version() {
	v=$("$PAUSE" --version) && case $v in "podshim-pause "*) return 0 ;; esac
	why="version: $v"
	return 1
}

rss=
t_ready_signals_term() {
	"$PAUSE" --no-network --ready-fd 3 3>"$T/ready" &
	p=$!
	started "$p"
	wait_for_file "$T/ready" || { why="no ready byte"; return 1; }
	[ "$(cat "$T/ready")" = r ] || { why="ready: $(cat "$T/ready")"; return 1; }
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")
	kill -HUP "$p"
	kill -USR1 "$p"
	kill -CHLD "$p"
	sleep 0.05
	alive "$p" || { why="died of HUP/USR1/CHLD"; return 1; }
	kill -TERM "$p"
	wait "$p"
	rc=$?
	reaped "$p"
	[ $rc -eq 0 ] || { why="exit status $rc after TERM"; return 1; }
	[ "$rss" -lt 300 ] || { why="VmRSS $rss kB"; return 1; }
}

t_int() {
	"$PAUSE" --no-network &
	p=$!
	started "$p"
	sleep 0.05
	kill -INT "$p"
	wait "$p"
	rc=$?
	reaped "$p"
	[ $rc -eq 0 ] && return 0
	why="exit status $rc after INT"
	return 1
}

t_bad_option() {
	"$PAUSE" --ready-fd 3 --bogus 3>"$T/bad"
	rc=$?
	[ $rc -eq 1 ] && grep -q '^unknown or incomplete option `--bogus`' "$T/bad" && return 0
	why="status $rc, ready fd: $(cat "$T/bad")"
	return 1
}

t_hostname_error() {
	# A user namespace without its own UTS namespace may not set the hostname.
	can_unshare --user || { skip="needs root and unshare --user"; return 0; }
	unshare --user "$PAUSE" --no-network --hostname smoke-pod --ready-fd 3 3>"$T/herr"
	rc=$?
	[ $rc -eq 1 ] && [ "$(cat "$T/herr")" = 'sethostname `smoke-pod`: Operation not permitted' ] &&
		return 0
	why="status $rc, ready fd: $(cat "$T/herr")"
	return 1
}

t_namespaces() {
	can_unshare --pid --fork --net --uts || { skip="needs root and unshare"; return 0; }
	unshare --pid --fork --net --uts --kill-child "$PAUSE" --hostname smoke-pod --ready-fd 3 3>"$T/nsready" &
	u=$!
	started "$u"
	wait_for_file "$T/nsready" && [ "$(cat "$T/nsready")" = r ] || { why="ready: $(cat "$T/nsready")"; return 1; }
	p=$(tr -d ' ' <"/proc/$u/task/$u/children")
	started "$p"
	h=$(nsenter --target "$p" --uts hostname)
	[ "$h" = smoke-pod ] || { why="hostname $h"; return 1; }
	if command -v ip >/dev/null; then
		nsenter --target "$p" --net ip -o link show lo | grep -q '[<,]UP[,>]' || { why="lo is not up"; return 1; }
	fi
	# Orphans of the pod's pid namespace are reparented to pause, which must reap them.
	nsenter --target "$p" --pid sh -c 'sleep 0.1 & sleep 0.05 & exit 0'
	sleep 0.3
	kids=$(cat "/proc/$p/task/$p/children")
	[ -z "$kids" ] || { why="unreaped children: $kids"; return 1; }
	kill -TERM "$p"
	wait "$u"
	rc=$?
	reaped "$u"
	reaped "$p"
	[ $rc -eq 0 ] && return 0
	why="exit status $rc after TERM as PID 1"
	return 1
}

check "--version prints a version line" t_version
check "ready byte, ignores HUP/USR1/CHLD, exits 0 on TERM, RSS under 300 KiB" t_ready_signals_term
check "exits 0 on INT" t_int
check "bad option: one line of error text on the ready fd, exit 1" t_bad_option
check "sethostname failure reported on the ready fd" t_hostname_error
check "in new pid/net/uts namespaces: hostname, lo up, reaps orphans as PID 1" t_namespaces
echo "# pause VmRSS: ${rss:-?} kB"
[ "$skipped" -gt 0 ] && echo "# $skipped skipped"
echo "pause-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
