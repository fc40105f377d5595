#!/bin/sh
# End to end checks of the real podshim-keeper, driven by launch_keeper (no namespaces,
# root not needed).   usage: keeper_smoke.sh OUTDIR   (where podshim-keeper was built)
set -u
OUT=${1:?usage: keeper_smoke.sh OUTDIR}
KEEPER=$OUT/podshim-keeper
LAUNCH=$OUT/native-tests/launch_keeper
T=$(mktemp -d /tmp/podshim-keeper-smoke.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
n=0 passed=0 failed=0 why=

CRI='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z (stdout|stderr) [PF] '

check() { # NAME FUNCTION
	why=
	n=$((n + 1))
	if "$2"; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		[ -n "$why" ] && printf '%s\n' "$why" | sed 's/^/# /'
	fi
}

# run NAME CMD [launcher options]: one container attempt in $T/NAME, synchronously.
run() {
	d=$T/$1 cmd=$2
	shift 2
	mkdir -p "$d"
	if ! "$LAUNCH" "$@" "$KEEPER" "$d/log" "$d/exit.json" "$cmd" >"$d/out" 2>"$d/err"; then
		why="launcher/keeper failed: $(cat "$d/err")"
		return 1
	fi
	[ -f "$d/exit.json" ] || { why="no exit.json"; return 1; }
}

has() { # NAME TEXT: exit.json contains TEXT
	grep -qF -- "$2" "$T/$1/exit.json" && return 0
	why="exit.json lacks $2: $(cat "$T/$1/exit.json")"
	return 1
}

# records NAME STREAM: "TAG TEXT" of each record of STREAM, joined by "|"
records() { sed -n "s/^[^ ]* $2 //p" "$T/$1/log" | tr '\n' '|'; }

log_is() { # NAME STREAM EXPECTED
	got=$(records "$1" "$2")
	[ "$got" = "$3" ] && return 0
	why="$2 records: got '$got', want '$3'"
	return 1
}

t_logs() {
	run logs 'echo out1; echo err1 >&2; echo; printf partial' || return 1
	if grep -Evq "$CRI" "$T/logs/log"; then
		why="not CRI: $(grep -Ev "$CRI" "$T/logs/log")"
		return 1
	fi
	log_is logs stdout 'F out1|F |P partial|F |' && log_is logs stderr 'F err1|' &&
		has logs '"exitCode":0,"signal":0,' && has logs '"started":true,' &&
		has logs '"startedAt":"20' && has logs '"oomKilled":false}'
}

t_exit3() {
	run exit3 'echo bye; exit 3' && has exit3 '"exitCode":3,"signal":0,' && log_is exit3 stdout 'F bye|'
}

t_kill9() {
	run kill9 'kill -9 $$' && has kill9 '"started":true,' && has kill9 '"exitCode":137,"signal":9,'
}

t_no_go() {
	run nogo 'echo must-not-run' --no-go && has nogo '"started":false,' &&
		has nogo '"startedAt":null,' && has nogo '"finishedAt":"20' || return 1
	[ -f "$T/nogo/log" ] && [ ! -s "$T/nogo/log" ] && return 0
	why="log should exist and be empty: $(cat "$T/nogo/log" 2>&1)"
	return 1
}

t_long_line() {
	run long "head -c 20480 /dev/zero | tr '\\000' a" || return 1
	got=$(sed -n 's/^[^ ]* stdout //p' "$T/long/log" | awk '{ printf "%s%d ", $1, length($0) - 2 }')
	[ "$got" = "P16384 P4096 F0 " ] && return 0
	why="records: $got"
	return 1
}

t_survives() {
	# After 'g' the launcher closes the control pipe and sends TERM, HUP and INT.
	run survive 'sleep 0.2; echo done; exit 5' --signal-keeper &&
		has survive '"exitCode":5,' && log_is survive stdout 'F done|'
}

t_oom() {
	mkdir -p "$T/cg"
	printf 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n' >"$T/cg/memory.events"
	run oom 'exit 0' --cgroup "$T/cg" && has oom '"oomKilled":true}'
}

t_grandchild() {
	# A background child keeps the stdout pipe open after the container exits.
	start=$(date +%s%N)
	run grandchild "sleep 3 & echo \$! >$T/gc.pid; echo bye" || return 1
	ms=$((($(date +%s%N) - start) / 1000000))
	[ -s "$T/gc.pid" ] && kill "$(cat "$T/gc.pid")" 2>/dev/null
	has grandchild '"exitCode":0,' && log_is grandchild stdout 'F bye|' || return 1
	[ "$ms" -lt 1500 ] && return 0
	why="keeper took ${ms} ms with a held pipe"
	return 1
}

t_atomic() {
	d=$T/logs
	[ ! -e "$d/exit.json.tmp" ] && [ "$(wc -l <"$d/exit.json")" -eq 1 ] &&
		[ "$(stat -c %a "$d/exit.json")" = 640 ] && [ "$(stat -c %a "$d/log")" = 640 ] && return 0
	why="temp file left, or not one line, or modes $(stat -c %a "$d/exit.json" "$d/log")"
	return 1
}

rss=
t_rss() {
	mkdir -p "$T/rss"
	"$LAUNCH" "$KEEPER" "$T/rss/log" "$T/rss/exit.json" 'sleep 0.4' 2>"$T/rss/err" &
	lpid=$!
	kpid= i=0
	while [ $i -lt 100 ]; do
		kpid=$(sed -n 's/^keeper-pid //p' "$T/rss/err")
		[ -n "$kpid" ] && [ "$(cat "/proc/$kpid/comm" 2>/dev/null)" = podshim-keeper ] && break
		sleep 0.01
		i=$((i + 1))
	done
	sleep 0.1
	[ "$(cat "/proc/$kpid/comm" 2>/dev/null)" = podshim-keeper ] &&
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status" 2>/dev/null)
	wait "$lpid"
	[ -n "$rss" ] && [ "$rss" -lt 300 ] && return 0
	why="keeper VmRSS: ${rss:-unknown} kB"
	return 1
}

check "stdout and stderr logged in CRI format, partial line flushed at EOF" t_logs
check "exit 3 gives exitCode 3" t_exit3
check "kill -9 gives exitCode 137, signal 9" t_kill9
check "control pipe closed before 'g': started=false, nothing ran" t_no_go
check "20 KiB line without newline gives P(16384) P(4096) F(0)" t_long_line
check "keeper ignores TERM/HUP/INT and outlives the supervisor's pipe" t_survives
check "oom_kill in the cgroup's memory.events gives oomKilled=true" t_oom
check "a grandchild holding the pipe does not keep the keeper" t_grandchild
check "exit.json one line, no temp left, files mode 0640" t_atomic
check "keeper RSS under 300 KiB" t_rss
echo "# keeper VmRSS: $rss kB"
echo "keeper-smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
