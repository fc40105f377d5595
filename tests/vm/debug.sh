mkdir -p /run/podshim /tmp/vm
echo "INFO vm: cpu $(grep -o -w -E 'avx2|sse4_2|popcnt|bmi2|lzcnt|movbe' /proc/cpuinfo | sort -u | tr '\n' ' ')"
tm() { local t0=$(cut -d' ' -f1 /proc/uptime); "$@" >/dev/null 2>&1; echo "INFO vm: $(awk -v a=$t0 -v b=$(cut -d' ' -f1 /proc/uptime) 'BEGIN{print b-a}')s $*"; }
tm /repo/bin/podshim version
tm /repo/bin/podshim version
tm env DOTNET_TieredPGO=0 /repo/bin/podshim version
tm env DOTNET_ReadyToRun=0 /repo/bin/podshim version
tm env DOTNET_TieredCompilation=0 /repo/bin/podshim version
tm env DOTNET_TC_QuickJitForLoops=1 DOTNET_TieredPGO=0 DOTNET_ReadyToRun=1 /repo/bin/podshim --help
echo "PASS vm: debug"
