using PodShim.Bench;

// bench/run.sh [spawn [N] | run [N] | manifest | probes [s] | http [N] | dns [seconds] | cgroups [N] | import [N] | get [PODS [N]]];
// no argument runs them all but http, dns, cgroups (cgroup v2 only: bench/vm-cgroups.sh runs it in the test VM), import and get.
string what = args.Length > 0 ? args[0] : "all";
return what switch
{
    "spawn" => SpawnBenchmark.Run(args[1..]),
    "run" => RunBenchmark.Run(args[1..]),
    "probes" => ProbeScheduleBenchmark.Run(args[1..]),
    "manifest" => ManifestBenchmark.Run(),
    "http" => HttpProbeBenchmark.Run(args[1..]),
    "cgroups" => CgroupBenchmark.Run(args[1..]),
    "dns" => DnsBenchmark.Run(args[1..]),
    "import" => ImportBenchmark.Run(args[1..]),
    "get" => GetBenchmark.Run(args[1..]),
    "all" => new[] { ManifestBenchmark.Run(), SpawnBenchmark.Run([]), RunBenchmark.Run([]) }.Max(),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bench/run.sh [spawn [N] | run [N] | manifest | probes [s] | http [N] | dns [seconds] | cgroups [N] | import [N] | get [PODS [N]]]");
    return 2;
}
