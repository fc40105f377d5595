using PodShim.Runtime.Pods;
using PodShim.Runtime.State;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Pods;

public sealed class PodStoreTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RemoveKillsOnlyThePidsTheRuntimeRecordedNotOnesPlantedInAWritableLayer()
    {
        // A container can write any file into its writable layer (containers/<name>/<attempt>/upper/...),
        // a "container.pid" naming a host process too: removing the pod must not signal it.
        PodPaths paths = new StateLayout(_dir.Path).Pod("default", "web");
        string attempt = Path.Combine(paths.ContainersDirectory, "app", "0");
        Directory.CreateDirectory(Path.Combine(attempt, "upper", "tmp"));
        File.WriteAllText(paths.HolderPid, "4001\n");
        File.WriteAllText(Path.Combine(attempt, "container.pid"), "4002\n");
        File.WriteAllText(Path.Combine(attempt, "upper", "container.pid"), "1\n");
        File.WriteAllText(Path.Combine(attempt, "upper", "tmp", "container.pid"), "4242\n");
        string finished = Path.Combine(paths.ContainersDirectory, "app", "1");
        Directory.CreateDirectory(finished);
        File.WriteAllText(Path.Combine(finished, "container.pid"), "4003\n");
        File.WriteAllText(Path.Combine(finished, "exit.json"), "{}");

        var sys = new RecordingSyscalls();
        PodStore.Remove(paths, sys);
        Assert.Equal([4001, 4002], sys.Calls.OfType<KillCall>().Select(k => k.Pid).Order());
        Assert.False(Directory.Exists(paths.Directory));
    }
}
