# Guest side of bench/vm-cgroups.sh (run by tests/vm/init.sh).
dll=$(ls /repo/bench/PodShim.Bench/bin/Release/net10.0/*/PodShim.Bench.dll 2>/dev/null | head -1)
if [ -z "$dll" ]; then
	echo "FAIL vm: bench: PodShim.Bench.dll not built"
	exit 0
fi
out=$(/usr/share/dotnet/dotnet "$dll" cgroups "${PODSHIM_BENCH_N:-50}" 2>&1)
rc=$?
echo "$out" | sed 's/^/INFO vm: bench: /'
if [ $rc -eq 0 ]; then echo "PASS vm: bench ran"; else echo "FAIL vm: bench exited $rc"; fi
