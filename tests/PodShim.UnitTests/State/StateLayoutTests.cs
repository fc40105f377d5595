using PodShim.Runtime.State;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.State;

// Touches the process environment: never run in parallel with other tests that read PODSHIM_ROOT.
[Collection(nameof(EnvironmentCollection))]
public sealed class StateLayoutTests
{
    [Fact]
    public void RootIsMadeAbsolute()
    {
        var layout = new StateLayout("/var/lib/podshim/../podshim-test/");
        Assert.Equal("/var/lib/podshim-test/", layout.Root);
        Assert.Equal("/var/lib/podshim-test/pods", layout.PodsDirectory);
        Assert.Equal("/var/lib/podshim-test/images", layout.ImagesDirectory);
        Assert.Equal("/var/lib/podshim-test/services", layout.ServicesDirectory);
    }

    [Fact]
    public void RelativeRootIsResolvedAgainstTheCurrentDirectory()
    {
        var layout = new StateLayout("state");
        Assert.Equal(Path.Combine(Environment.CurrentDirectory, "state"), layout.Root);
    }

    [Fact]
    public void PodPaths()
    {
        PodPaths pod = new StateLayout("/r").Pod("shop", "web");
        Assert.Equal("/r/pods/shop_web", pod.Directory);
        Assert.Equal("/r/pods/shop_web/pod.yaml", pod.Manifest);
        Assert.Equal("/r/pods/shop_web/status.json", pod.Status);
        Assert.Equal("/r/pods/shop_web/events.jsonl", pod.Events);
        Assert.Equal("/r/pods/shop_web/supervisor.pid", pod.SupervisorPid);
        Assert.Equal("/r/pods/shop_web/holder.pid", pod.HolderPid);
        Assert.Equal("/r/pods/shop_web/shm", pod.Shm);
        Assert.Equal("/r/pods/shop_web/etc", pod.Etc);
        Assert.Equal("/r/pods/shop_web/volumes", pod.VolumesDirectory);
        Assert.Equal("/r/pods/shop_web/volumes/cache", pod.Volume("cache"));
        Assert.Equal("/r/pods/shop_web/containers", pod.ContainersDirectory);
    }

    [Fact]
    public void PodsOfDifferentNamespacesDoNotCollide()
    {
        var layout = new StateLayout("/r");
        Assert.NotEqual(layout.Pod("a", "web").Directory, layout.Pod("b", "web").Directory);
    }

    [Theory]
    [InlineData("app", 0, "/r/pods/default_web/containers/app/0")]
    [InlineData("app", 1, "/r/pods/default_web/containers/app/1")]
    [InlineData("sidecar", 12, "/r/pods/default_web/containers/sidecar/12")]
    public void AttemptDirectory(string container, int attempt, string expected)
    {
        Assert.Equal(expected, new StateLayout("/r").Pod("default", "web").Attempt(container, attempt).Directory);
    }

    [Fact]
    public void AttemptPaths()
    {
        AttemptPaths a = new StateLayout("/r").Pod("default", "web").Attempt("app", 3);
        Assert.Equal("/r/pods/default_web/containers/app/3/log", a.Log);
        Assert.Equal("/r/pods/default_web/containers/app/3/exit.json", a.Exit);
        Assert.Equal("/r/pods/default_web/containers/app/3/upper", a.Upper);
        Assert.Equal("/r/pods/default_web/containers/app/3/work", a.Work);
        Assert.Equal("/r/pods/default_web/containers/app/3/rootfs", a.Rootfs);
        Assert.Equal("/r/pods/default_web/containers/app/3/container.pid", a.ContainerPid);
        Assert.Equal("/r/pods/default_web/containers/app/3/keeper.pid", a.KeeperPid);
    }

    [Theory]
    [InlineData("/opt/option", "/opt/env", "/opt/option")]
    [InlineData("/opt/option", null, "/opt/option")]
    [InlineData(null, "/opt/env", "/opt/env")]
    [InlineData("", "/opt/env", "/opt/env")]
    [InlineData(null, "", "/var/lib/podshim")]
    [InlineData(null, null, "/var/lib/podshim")]
    [InlineData("", "", "/var/lib/podshim")]
    public void ResolveRoot(string? option, string? env, string expected)
    {
        string? saved = Environment.GetEnvironmentVariable(StateLayout.RootVariable);
        try
        {
            Environment.SetEnvironmentVariable(StateLayout.RootVariable, env);
            Assert.Equal(expected, StateLayout.ResolveRoot(option));
        }
        finally
        {
            Environment.SetEnvironmentVariable(StateLayout.RootVariable, saved);
        }
    }

    [Fact]
    public void AtomicFileReplacesContentAndLeavesNoTempFile()
    {
        using var dir = new TestDirectory();
        string path = dir.Combine("status.json");
        AtomicFile.WriteAllText(path, "first, longer content");
        AtomicFile.WriteAllText(path, "second");
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal(["status.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}

[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;
