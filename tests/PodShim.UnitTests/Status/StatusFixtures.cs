using PodShim.Manifest;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Status;

/// <summary>Compact builders for pods and container statuses.</summary>
internal static class F
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 6, 14, 0, TimeSpan.Zero);

    /// <summary>A pod; init names starting with "s:" are sidecars (restartPolicy Always).</summary>
    public static Pod Pod(string policy, string inits, string apps) =>
        new(new ObjectMeta { Name = "web", Namespace = "default", Uid = "1f6d3c1e-0000-4000-8000-000000000001" },
            new PodSpec
            {
                RestartPolicy = policy,
                InitContainers = Names(inits).Select(n => n.StartsWith("s:", StringComparison.Ordinal)
                    ? new Container { Name = n[2..], Image = "busybox", RestartPolicy = "Always" }
                    : new Container { Name = n, Image = "busybox" }).ToArray(),
                Containers = Names(apps).Select(n => new Container { Name = n, Image = "nginx" }).ToArray(),
            });

    private static string[] Names(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static ContainerStatusInfo Waiting(string name, string reason, int restarts = 0) =>
        new(name, "img", new WaitingState(reason)) { RestartCount = restarts };

    /// <summary>Waiting again after an attempt that exited with <paramref name="lastExit"/> (CrashLoopBackOff).</summary>
    public static ContainerStatusInfo BackOff(string name, int lastExit, int restarts = 1, TimeSpan? finishedAgo = null) =>
        new(name, "img", new WaitingState(ContainerReasons.CrashLoopBackOff, "back-off"))
        {
            RestartCount = restarts,
            LastState = Term(lastExit, finishedAgo ?? TimeSpan.FromSeconds(45)),
        };

    public static ContainerStatusInfo Running(string name, bool ready = true, bool? started = true, int restarts = 0) =>
        new(name, "img", new RunningState(Now.AddMinutes(-1))) { Ready = ready, Started = started, RestartCount = restarts };

    public static ContainerStatusInfo Exited(string name, int exitCode, string? reason = null, int signal = 0, bool ready = false) =>
        new(name, "img", new TerminatedState(exitCode, signal, reason ?? ContainerReasons.TerminatedReason(exitCode, false), null,
            Now.AddMinutes(-2), Now.AddMinutes(-1))) { Ready = ready, Started = false };

    public static TerminatedState Term(int exitCode, TimeSpan finishedAgo) =>
        new(exitCode, 0, ContainerReasons.TerminatedReason(exitCode, false), null, Now - finishedAgo - TimeSpan.FromSeconds(5), Now - finishedAgo);

    public static ContainerStatusInfo[] L(params ContainerStatusInfo[] s) => s;
}
