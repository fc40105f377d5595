using PodShim.Bench;

// bench/run.sh [spawn [N] | manifest]; no argument runs both.
string what = args.Length > 0 ? args[0] : "all";
return what switch
{
    "spawn" => SpawnBenchmark.Run(args[1..]),
    "manifest" => ManifestBenchmark.Run(),
    "all" => Math.Max(ManifestBenchmark.Run(), SpawnBenchmark.Run([])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bench/run.sh [spawn [N] | manifest]");
    return 2;
}
