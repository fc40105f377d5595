using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Status;
using PodShim.UnitTests.Images;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Kubectl;

/// <summary>`logs`: which container and attempt, kubectl's and the kubelet's errors, and the lines as the kubelet serves them.</summary>
public sealed class LogsOutputTests
{
    private const string Id = "podshim://u1/app/";

    private static string Error(Action a) => Assert.Throws<KubectlException>(a).Message;

    [Fact]
    public void The_only_app_container_is_taken_without_a_name()
    {
        Assert.Equal("app", PodLogs.ChooseContainer(Pod("Always", "i1", "app"), null));
        Assert.Equal("i1", PodLogs.ChooseContainer(Pod("Always", "i1", "app"), "i1"));
    }

    [Fact]
    public void Several_containers_need_a_name_and_the_error_lists_them()
    {
        Assert.Equal("error: a container name must be specified for pod web, choose one of: [a b]",
            Error(() => PodLogs.ChooseContainer(Pod("Always", "", "a,b"), null)));
        Assert.Equal("error: a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [i1 i2]",
            Error(() => PodLogs.ChooseContainer(Pod("Always", "i1,i2", "a,b"), null)));
        Assert.Equal("error: container nope is not valid for pod web", Error(() => PodLogs.ChooseContainer(Pod("Always", "", "a"), "nope")));
    }

    private static PodStatusInfo With(ContainerStatusInfo s) => new() { ContainerStatuses = [s] };

    [Fact]
    public void The_running_attempt_is_the_current_one_and_previous_is_the_last_terminated()
    {
        var s = Running("app", restarts: 2) with { ContainerId = Id + "2", LastState = Term(1, TimeSpan.FromSeconds(9)) with { ContainerId = Id + "1" } };
        Assert.Equal(2, PodLogs.SelectAttempt(With(s), "web", "app", previous: false));
        Assert.Equal(1, PodLogs.SelectAttempt(With(s), "web", "app", previous: true));
    }

    [Fact]
    public void A_container_in_back_off_shows_its_last_attempt()
    {
        var s = BackOff("app", 1) with { LastState = Term(1, TimeSpan.FromSeconds(9)) with { ContainerId = Id + "4" } };
        Assert.Equal(4, PodLogs.SelectAttempt(With(s), "web", "app", previous: false));
    }

    [Fact]
    public void A_terminated_container_shows_that_attempt()
    {
        var s = Exited("app", 0) with { State = new TerminatedState(0, 0, "Completed", null, Now, Now, Id + "0") };
        Assert.Equal(0, PodLogs.SelectAttempt(With(s), "web", "app", previous: false));
    }

    [Fact]
    public void The_kubelets_errors_say_why_there_is_no_log()
    {
        Assert.Equal("Error from server (BadRequest): previous terminated container \"app\" in pod \"web\" not found",
            Error(() => PodLogs.SelectAttempt(With(Running("app") with { ContainerId = Id + "0" }), "web", "app", previous: true)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is waiting to start: ContainerCreating",
            Error(() => PodLogs.SelectAttempt(With(Waiting("app", "ContainerCreating")), "web", "app", previous: false)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is waiting to start: PodInitializing",
            Error(() => PodLogs.SelectAttempt(With(Waiting("app", "PodInitializing")), "web", "app", previous: false)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is waiting to start: image can't be pulled",
            Error(() => PodLogs.SelectAttempt(With(Waiting("app", "ErrImagePull")), "web", "app", previous: false)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is waiting to start: trying and failing to pull image",
            Error(() => PodLogs.SelectAttempt(With(Waiting("app", "ImagePullBackOff")), "web", "app", previous: false)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is not available",
            Error(() => PodLogs.SelectAttempt(new PodStatusInfo(), "web", "app", previous: false)));
        Assert.Equal("Error from server (BadRequest): container \"app\" in pod \"web\" is terminated",
            Error(() => PodLogs.SelectAttempt(With(Exited("app", 1)), "web", "app", previous: false)));
    }

    private static string Log(params string[] records)
    {
        string path = Path.Combine(Path.GetTempPath(), $"podshim-log-{Guid.NewGuid():N}");
        File.WriteAllText(path, string.Concat(records.Select(r => r + "\n")));
        return path;
    }

    private static string Print(string path, LogOptions options)
    {
        var output = new StringWriter { NewLine = "\n" };
        PodLogs.Write(path, output, options);
        File.Delete(path);
        return output.ToString();
    }

    private static readonly string[] Records =
    [
        "2026-11-22T06:14:00.100000000Z stdout F one",
        "2026-11-22T06:14:00.200000001Z stderr F two (stderr)",
        "2026-11-22T06:14:00.300000000Z stdout P thr",
        "2026-11-22T06:14:00.400000000Z stdout F ee",
        "2026-11-22T06:14:01.000000000Z stdout F four",
        "2026-11-22T06:14:01.500000000Z stdout P unfinished",
    ];

    [Fact]
    public void Both_streams_print_in_order_with_partial_lines_joined()
    {
        Assert.Equal("one\ntwo (stderr)\nthree\nfour\n", Print(Log(Records), new LogOptions()));
    }

    [Fact]
    public void Tail_keeps_the_last_lines()
    {
        Assert.Equal("three\nfour\n", Print(Log(Records), new LogOptions { Tail = 2 }));
        Assert.Equal("", Print(Log(Records), new LogOptions { Tail = 0 }));
        Assert.Equal("one\ntwo (stderr)\nthree\nfour\n", Print(Log(Records), new LogOptions { Tail = 100 }));
    }

    [Fact]
    public void Timestamps_are_rfc3339_with_nanoseconds_trailing_zeros_dropped()
    {
        Assert.Equal(
            "2026-11-22T06:14:00.1Z one\n2026-11-22T06:14:00.200000001Z two (stderr)\n2026-11-22T06:14:00.3Z three\n2026-11-22T06:14:01Z four\n",
            Print(Log(Records), new LogOptions { Timestamps = true }));
    }

    [Fact]
    public void A_torn_last_record_is_read_once_it_is_whole()
    {
        string path = Path.Combine(Path.GetTempPath(), $"podshim-log-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllText(path, "2026-11-22T06:14:00.1Z stdout F a\n2026-11-22T06:14:00.2Z stdout F b");
            var reader = new CriLogReader(path);
            Assert.Equal(["a"], reader.ReadAvailable().Select(l => l.Text));
            File.AppendAllText(path, "c\n2026-11-22T06:14:00.3Z stdout F d\n");
            Assert.Equal(["bc", "d"], reader.ReadAvailable().Select(l => l.Text));
            Assert.Empty(reader.ReadAvailable());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Follow_prints_new_lines_until_the_attempt_has_ended()
    {
        using var dir = new TempDir();
        var attempt = new AttemptPathsView(dir.Path, Path.Combine(dir.Path, "log"), Path.Combine(dir.Path, "exit.json"));
        File.WriteAllText(attempt.Log, "2026-11-22T06:14:00.1Z stdout F first\n");
        var output = new StringWriter { NewLine = "\n" };
        var follower = Task.Run(() => PodLogs.Follow(attempt, TextWriter.Synchronized(output), new LogOptions { Follow = true }, CancellationToken.None));
        SpinWait.SpinUntil(() => output.ToString().Contains("first"), 5_000);
        File.AppendAllText(attempt.Log, "2026-11-22T06:14:00.2Z stdout F second\n");
        SpinWait.SpinUntil(() => output.ToString().Contains("second"), 5_000);
        Assert.False(follower.IsCompleted);
        File.AppendAllText(attempt.Log, "2026-11-22T06:14:00.3Z stdout F last\n");
        File.WriteAllText(attempt.Exit, "{}");
        await follower.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("first\nsecond\nlast\n", output.ToString());
    }
}
