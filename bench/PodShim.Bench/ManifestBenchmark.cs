using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PodShim.Manifest;

namespace PodShim.Bench;

/// <summary>
/// Issue 3's figure: load + default + validate the seed's 2-init-container pod (target ≤ 200 µs after
/// warm-up), with allocations. In-process, so it needs no generated project or network.
/// </summary>
[MemoryDiagnoser]
public class ManifestBenchmark
{
    private string _yaml = "";

    [GlobalSetup]
    public void Setup() => _yaml = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "seeds", "000-init-pod1.yaml"));

    [Benchmark]
    public Pod LoadDefaultValidate()
    {
        var pod = (Pod)ManifestLoader.LoadText(_yaml, "000-init-pod1.yaml")[0];
        PodValidation.ThrowIfInvalid(pod);
        return pod;
    }

    public static int Run()
    {
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15))
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<ManifestBenchmark>(config);
        return summary.HasCriticalValidationErrors ? 1 : 0;
    }
}
