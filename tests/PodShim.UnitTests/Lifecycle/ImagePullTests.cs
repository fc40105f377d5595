using PodShim.Runtime.Lifecycle;
using PodShim.Runtime.Status;

namespace PodShim.UnitTests.Lifecycle;

/// <summary>The kubelet image manager's reasons and back-off, and eviction, on a fake clock.</summary>
public sealed class ImagePullTests
{
    private const string Missing = "image \"docker.io/library/nope:1\" is not in the image store";

    private static string PodYaml(string restartPolicy = "Never", string init = "", string pullPolicy = "") =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: u1\nspec:\n  restartPolicy: {restartPolicy}\n  terminationGracePeriodSeconds: 30\n" +
        (init.Length > 0 ? "  initContainers:\n" + init : "") +
        "  containers:\n  - name: app\n    image: nope:1\n" + pullPolicy;

    private static LifecycleHarness Harness(string yaml, Func<bool> present, string reason = ContainerReasons.ErrImagePull)
    {
        var h = new LifecycleHarness(yaml);
        h.Runtime.Images = c => c.Image == "nope:1" && !present() ? new ImagePullFailure(reason, Missing) : null;
        return h;
    }

    private static ContainerStatusInfo App(LifecycleHarness h) => h.Lifecycle.Status.ContainerStatuses.Single(c => c.Name == "app");

    private static (string? Reason, string? Message) Waiting(ContainerStatusInfo c) =>
        c.State is WaitingState w ? (w.Reason, w.Message) : (null, null);

    private static string Row(LifecycleHarness h) => KubectlPrinter.Row(h.Pod, h.Lifecycle.Status, h.Clock.GetUtcNow()).Status;

    [Fact]
    public void ErrImagePullThenImagePullBackOffThenTheImportedImageStarts()
    {
        bool present = false;
        LifecycleHarness h = Harness(PodYaml(), () => present);
        h.Start();
        Assert.Empty(h.TakeCalls()); // nothing started
        Assert.Equal((ContainerReasons.ErrImagePull, Missing), Waiting(App(h)));
        Assert.Equal("ErrImagePull", Row(h));
        Assert.Equal("Pending", h.Lifecycle.Status.Phase);
        Assert.Contains(h.Events.Events, e => e is ("Warning", "Failed", "Failed to pull image \"nope:1\": " + Missing, "app"));
        Assert.Contains(h.Events.Events, e => e is ("Warning", "Failed", "Error: ErrImagePull", "app"));

        // The pod worker retries after 10 s: the 10 s back-off is over, so it pulls again (and fails again).
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(ContainerReasons.ErrImagePull, Waiting(App(h)).Reason);

        // Now within the 20 s back-off: ImagePullBackOff, without looking.
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal((ContainerReasons.ImagePullBackOff, "Back-off pulling image \"nope:1\""), Waiting(App(h)));
        Assert.Equal("ImagePullBackOff", Row(h));
        Assert.Contains(h.Events.Events, e => e is ("Normal", "BackOff", "Back-off pulling image \"nope:1\"", "app"));
        Assert.Empty(h.TakeCalls());

        // Imported meanwhile: the next try after the back-off finds it and starts the container, no restart counted.
        present = true;
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(["start app#0"], h.TakeCalls());
        Assert.Equal(0, App(h).RestartCount);
        h.Started("app");
        Assert.Equal("Running", Row(h));
    }

    [Fact]
    public void TheBackOffDoublesUpToFiveMinutes()
    {
        LifecycleHarness h = Harness(PodYaml(), () => false);
        h.Start();
        var pulls = new List<double>();
        DateTimeOffset start = h.Clock.GetUtcNow();
        int failed = h.Events.Events.Count(e => e.Reason == "Pulling");
        for (int i = 0; i < 200; i++)
        {
            h.Advance(TimeSpan.FromSeconds(10));
            int now = h.Events.Events.Count(e => e.Reason == "Pulling");
            if (now > failed)
                pulls.Add((h.Clock.GetUtcNow() - start).TotalSeconds);
            failed = now;
        }
        // Pulls at 0, then each one back-off (10, 20, 40 … 300 s) after the one before, on the 10 s retry grid.
        double[] gaps = pulls.Prepend(0).Zip(pulls, (a, b) => b - a).ToArray();
        Assert.Equal([10, 20, 40, 80, 160, 300, 300], gaps.Take(7));
    }

    [Fact]
    public void PullPolicyNeverGivesErrImageNeverPull()
    {
        LifecycleHarness h = Harness(PodYaml(pullPolicy: "    imagePullPolicy: Never\n"), () => false, PodLifecycle.ErrImageNeverPull);
        h.Start();
        Assert.Equal(PodLifecycle.ErrImageNeverPull, Waiting(App(h)).Reason);
        Assert.Contains(h.Events.Events, e => e is ("Warning", "ErrImageNeverPull", _, "app"));
        // No image back-off: the retry asks again and says the same.
        h.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(PodLifecycle.ErrImageNeverPull, Waiting(App(h)).Reason);
    }

    [Fact]
    public void AnInitContainerWithoutItsImageHoldsThePod()
    {
        LifecycleHarness h = Harness(PodYaml(init: "  - name: init\n    image: nope:1\n"), () => false);
        h.Start();
        Assert.Equal("Init:ErrImagePull", Row(h));
        h.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal("Init:ImagePullBackOff", Row(h));
        Assert.Empty(h.TakeCalls());
    }

    [Fact]
    public void TerminationWhileWaitingForTheImageEndsThePod()
    {
        LifecycleHarness h = Harness(PodYaml("Always"), () => false);
        h.Start();
        h.Post(new TerminateRequested(null));
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Empty(h.TakeCalls());
    }

    [Fact]
    public void EvictionKillsWithTheImmediateGraceAndFailsThePod()
    {
        var h = new LifecycleHarness(PodYaml("Always").Replace("nope:1", "busybox"));
        h.Start();
        h.Started("app");
        h.TakeCalls();
        const string message = "Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\". ";
        h.Post(new PodEvicted(message));
        Assert.Contains(h.Events.Events, e => e is ("Warning", "Evicted", message, null));
        Assert.Contains("signal 15 app#0", h.TakeCalls());
        // The 1 s eviction grace, raised to the 2 s minimum: SIGKILL 2 s later, not 30.
        h.Advance(TimeSpan.FromSeconds(2));
        Assert.Contains("signal 9 app#0", h.TakeCalls());
        h.Exited("app", 137, 9);
        Assert.True(h.Lifecycle.IsFinished);
        Assert.Equal("Failed", h.Lifecycle.Status.Phase);
        Assert.Equal("Evicted", h.Lifecycle.Status.Reason);
        Assert.Equal(message, h.Lifecycle.Status.Message);
    }
}
