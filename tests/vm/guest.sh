# VM checks, run by tests/vm/init.sh inside the test VM (busybox sh, root, pure cgroup v2 at
# /sys/fs/cgroup, the repository read-only at /repo). One "PASS vm: ..." or "FAIL vm: ..." line per
# check. A .NET process starts in ~12 s under TCG, so everything runs in three podshim processes:
# two pods run side by side, then one `podshim delete` ends both.
#
# Expected values are worked out by hand from reference/pod-semantics.md (shares = millicpu·1024/1000,
# cpu.weight = 1 + (shares − 2)·9999/262142, cpu.max quota = millicpu·100, memory.max = bytes) and
# kubelet MemoryQoS (memory.high = request + 0.9·(limit − request), page-aligned); they are not
# computed by podshim.

podshim=/repo/bin/podshim
state=/run/podshim
cg=/sys/fs/cgroup
limits=$cg/podshim/pod-vm-limits
stress=$cg/podshim/pod-vm-stress
mkdir -p $state /tmp/vm

pass() { echo "PASS vm: $*"; }
fail() { echo "FAIL vm: $*"; }
info() { echo "INFO vm: $*"; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# wait_for SECONDS COMMAND...: true once COMMAND succeeds, false after SECONDS.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		# Nothing will change once both pods' runs are gone.
		kill -0 $limits_run 2>/dev/null || kill -0 $stress_run 2>/dev/null || { "$@" 2>/dev/null; return; }
		sleep 0.1
	done
}

# The limits of one cgroup, in a fixed order; a missing file shows as "-".
values() {
	local out="" f
	for f in memory.max memory.high cpu.max cpu.weight pids.max memory.oom.group; do
		out="$out $f=$(cat "$1/$f" 2>/dev/null || echo -)"
	done
	echo "${out# }"
}

# container_status POD CONTAINER: the container's object in status.json (one line).
container_status() {
	sed 's/{"name":"/\n&/g' "$state/pods/default_$1/status.json" | grep "^{\"name\":\"$2\""
}

log_has() { grep -q " F $3\$" "$state/pods/default_$1/containers/$2/0/log"; }

cat >/tmp/vm/limits.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: limits
  uid: vm-limits
spec:
  terminationGracePeriodSeconds: 3
  initContainers:
  - name: init1
    image: busybox
    command: ["sh", "-c", "cat /proc/self/cgroup; sleep 6"]
    resources: {requests: {cpu: 200m, memory: 64Mi}, limits: {cpu: 400m, memory: 128Mi}}
  - name: side
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", "trap 'exit 0' TERM; cat /proc/self/cgroup; while true; do sleep 1; done"]
    resources: {requests: {cpu: 100m, memory: 32Mi}, limits: {cpu: 200m, memory: 64Mi}}
  - name: init2
    image: busybox
    command: ["sh", "-c", "cat /proc/self/cgroup; sleep 6"]
    resources: {requests: {cpu: 500m, memory: 96Mi}, limits: {cpu: "1", memory: 192Mi}}
  containers:
  - name: app1
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; cat /proc/self/cgroup; while true; do sleep 1; done"]
    resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m, memory: 128Mi}}
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "cat /proc/self/cgroup >/tmp/hook-cgroup"]}
  - name: app2
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; cat /proc/self/cgroup; while true; do sleep 1; done"]
    resources: {requests: {cpu: 150m, memory: 32Mi}, limits: {cpu: 300m, memory: 96Mi}}
EOF

cat >/tmp/vm/stress.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: stress
  uid: vm-stress
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 3
  containers:
  - name: oom
    image: busybox
    # A string doubled until it passes the 32Mi limit.
    command: ["awk", "BEGIN { s = \"x\"; while (1) s = s s }"]
    resources: {limits: {cpu: 500m, memory: 32Mi}}
  - name: bomb
    image: busybox
    # The fork bomb runs until the end; the shell then becomes a sleep (exec: no fork needed).
    command: ["sh", "-c", "sleep 8; b() { b | b & }; b 2>/dev/null; exec sleep 100000"]
    resources: {limits: {cpu: 250m, memory: 64Mi}}
  - name: calm
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done"]
    resources: {limits: {cpu: 250m, memory: 32Mi}}
  - name: victim
    image: busybox
    command: ["sh", "-c", "while true; do sleep 1; done"]
    resources: {limits: {cpu: 100m, memory: 16Mi}}
EOF

info "kernel $(uname -r); cgroup2 controllers: $(cat $cg/cgroup.controllers)"
t0=$(date +%s)
$podshim run -f /tmp/vm/limits.yaml --root $state --pod-pids-limit 64 >/tmp/vm/limits.out 2>/tmp/vm/limits.err &
limits_run=$!
$podshim run -f /tmp/vm/stress.yaml --root $state --pod-pids-limit 64 >/tmp/vm/stress.out 2>/tmp/vm/stress.err &
stress_run=$!

# ---- limits pod: init containers, a sidecar, two apps ----
if wait_for 120 test -d $limits/init1-0; then
	info "first container cgroup after $(($(date +%s) - t0))s"
	# Effective: requests cpu max(apps 250+150+side 100 = 500m, init2 500m + side 100m = 600m) = 600m
	# -> shares 614 -> weight 24; limits cpu max(500+300+200 = 1000m, 1000m + 200m) = 1200m -> 120000;
	# memory max(128+96+64 = 288Mi, 192Mi + 64Mi = 256Mi) = 288Mi (every container has limits).
	check "pod cgroup memory.max = effective limit 288Mi" 301989888 "$(cat $limits/memory.max)"
	check "pod cgroup cpu.max = effective limit 1200m" "120000 100000" "$(cat $limits/cpu.max)"
	check "pod cgroup cpu.weight = effective request 600m" 24 "$(cat $limits/cpu.weight)"
	check "pod cgroup pids.max = --pod-pids-limit" 64 "$(cat $limits/pids.max)"
	check "pod cgroup delegates cpu, memory, pids" "cpu memory pids" "$(cat $limits/cgroup.subtree_control)"
	# pids share: (64 - 4 for the holder) / 3 containers at once (side + app1 + app2) = 20
	check "init1 cgroup has init1's limits" \
		"memory.max=134217728 memory.high=127504384 cpu.max=40000 100000 cpu.weight=8 pids.max=20 memory.oom.group=1" \
		"$(values $limits/init1-0)"
	holder_pid=$(cat $state/pods/default_limits/holder.pid)
	check "holder runs in its own cgroup" "0::/podshim/pod-vm-limits/holder" "$(cat /proc/$holder_pid/cgroup)"
	check "holder cgroup pids.max" 4 "$(cat $limits/holder/pids.max)"
else
	fail "limits pod: init1's cgroup appeared"
fi
if wait_for 60 test -d $limits/init2-0; then
	check "side (sidecar) cgroup has the sidecar's limits" \
		"memory.max=67108864 memory.high=63750144 cpu.max=20000 100000 cpu.weight=4 pids.max=20 memory.oom.group=1" \
		"$(values $limits/side-0)"
	check "init2 cgroup has init2's limits" \
		"memory.max=201326592 memory.high=191258624 cpu.max=100000 100000 cpu.weight=20 pids.max=20 memory.oom.group=1" \
		"$(values $limits/init2-0)"
	check "a completed init container's cgroup is removed" "gone" "$(test -d $limits/init1-0 && echo present || echo gone)"
else
	fail "limits pod: init2's cgroup appeared"
fi
if wait_for 60 test -d $limits/app2-0; then
	check "app1 cgroup has app1's limits" \
		"memory.max=134217728 memory.high=127504384 cpu.max=50000 100000 cpu.weight=10 pids.max=20 memory.oom.group=1" \
		"$(values $limits/app1-0)"
	check "app2 cgroup has app2's limits" \
		"memory.max=100663296 memory.high=93949952 cpu.max=30000 100000 cpu.weight=6 pids.max=20 memory.oom.group=1" \
		"$(values $limits/app2-0)"
	wait_for 30 log_has limits app2 "0::/podshim/pod-vm-limits/app2-0"
	for c in init1 side init2 app1 app2; do
		if log_has limits $c "0::/podshim/pod-vm-limits/$c-0"; then
			pass "$c: /proc/self/cgroup is its own cgroup"
		else
			fail "$c: /proc/self/cgroup is its own cgroup: log has [$(grep -h ' F 0::' $state/pods/default_limits/containers/$c/0/log)]"
		fi
	done
	check "app1's postStart exec hook ran in app1's cgroup" "0::/podshim/pod-vm-limits/app1-0" \
		"$(cat $state/pods/default_limits/containers/app1/0/upper/tmp/hook-cgroup 2>&1)"
	pid=$(cat $state/pods/default_limits/containers/app1/0/container.pid)
	check "app1's process is in app1-0 (host view)" "0::/podshim/pod-vm-limits/app1-0" "$(cat /proc/$pid/cgroup)"
else
	fail "limits pod: app2's cgroup appeared"
fi

# ---- stress pod: OOM kill, SIGKILL without OOM, fork bomb ----
oom_seen() { container_status stress oom | grep -q '"lastState":{"terminated":{[^}]*"reason":"OOMKilled"'; }
if wait_for 120 oom_seen; then
	s=$(container_status stress oom)
	check "oom: terminated with exit code 137" 137 "$(echo "$s" | sed -n 's/.*"lastState":{"terminated":{[^}]*"exitCode":\([0-9]*\).*/\1/p')"
	check "oom: reason OOMKilled" OOMKilled "$(echo "$s" | sed -n 's/.*"lastState":{"terminated":{[^}]*"reason":"\([A-Za-z]*\)".*/\1/p')"
	check "oom: keeper's exit record says oomKilled" true "$(sed -n 's/.*"oomKilled":\([a-z]*\).*/\1/p' $state/pods/default_stress/containers/oom/0/exit.json)"
	if wait_for 60 sh -c "test -f $state/pods/default_stress/containers/oom/1/exit.json || test -d $stress/oom-1"; then
		pass "oom: restarted per restartPolicy Always (attempt 1 started)"
	else
		fail "oom: restarted per restartPolicy Always: no attempt 1"
	fi
else
	fail "oom: OOMKilled in status.json: [$(container_status stress oom)]"
fi

wait_for 60 test -f $state/pods/default_stress/containers/victim/0/container.pid
kill -9 "$(cat $state/pods/default_stress/containers/victim/0/container.pid)"
victim_done() { container_status stress victim | grep -q '"lastState":{"terminated"'; }
if wait_for 60 victim_done; then
	s=$(container_status stress victim)
	check "SIGKILL without OOM: exit code 137" 137 "$(echo "$s" | sed -n 's/.*"lastState":{"terminated":{[^}]*"exitCode":\([0-9]*\).*/\1/p')"
	check "SIGKILL without OOM: reason stays Error" Error "$(echo "$s" | sed -n 's/.*"lastState":{"terminated":{[^}]*"reason":"\([A-Za-z]*\)".*/\1/p')"
else
	fail "victim: terminated after SIGKILL: [$(container_status stress victim)]"
fi

bomb_at_max() { [ "$(cat $stress/bomb-0/pids.current)" -ge "$(cat $stress/bomb-0/pids.max)" ]; }
ticks() { grep -c ' F tick ' $state/pods/default_stress/containers/calm/0/log; }
if wait_for 90 bomb_at_max; then
	check "fork bomb: container pids.max is its share (64 - 4) / 4" 15 "$(cat $stress/bomb-0/pids.max)"
	refused() { sed -n 's/^max //p' $stress/bomb-0/pids.events; }
	max_events=$(refused)
	if [ "${max_events:-0}" -gt 0 ]; then pass "fork bomb: forks refused at pids.max (pids.events max $max_events)"; else fail "fork bomb: pids.events max is ${max_events:-missing}"; fi
	before=$(ticks)
	sleep 5
	after=$(ticks)
	# The bomb still holds all of its pids while the other container ticks on (each tick forks a sleep).
	if [ "$after" -ge $((before + 2)) ] && bomb_at_max; then
		pass "fork bomb: the pod's other container goes on while it holds its pids (ticks $before -> $after)"
	else
		fail "fork bomb: the pod's other container goes on (ticks $before -> $after; bomb pids $(cat $stress/bomb-0/pids.current))"
	fi
	pod_pids=$(cat $stress/pids.current)
	if [ "$pod_pids" -le 64 ]; then pass "fork bomb: pod pids.current $pod_pids within pids.max 64"; else fail "pod pids.current $pod_pids above 64"; fi
else
	fail "fork bomb: reached pids.max (pids.current $(cat $stress/bomb-0/pids.current 2>/dev/null))"
fi

if grep -q ResourceLimitsNotEnforced $state/pods/*/events.jsonl /tmp/vm/limits.err /tmp/vm/stress.err; then
	fail "no 'limits are not enforced' warning where cgroup v2 is usable"
else
	pass "no 'limits are not enforced' warning where cgroup v2 is usable"
fi

# ---- delete: every pod cgroup goes ----
$podshim delete pod limits stress --root $state >/tmp/vm/delete.out 2>&1
check "podshim delete pod limits stress" 0 $?
wait $limits_run
wait $stress_run
leftover=$(ls -d $cg/podshim/pod-* 2>/dev/null | tr '\n' ' ')
check "all pod cgroups are gone after delete" "" "$leftover"
info "scenarios took $(($(date +%s) - t0))s"
for f in limits.err stress.err delete.out; do
	[ -s /tmp/vm/$f ] && sed "s/^/INFO vm: $f: /" /tmp/vm/$f | head -20
done
