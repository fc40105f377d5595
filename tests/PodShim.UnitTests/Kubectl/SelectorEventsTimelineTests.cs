using PodShim.Manifest;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Services;
using PodShim.UnitTests.Images;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Kubectl;

public sealed class SelectorEventsTimelineTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "front", ["env"] = "prod" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app=web,tier=front", true)]
    [InlineData("app=web,tier=back", false)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("env in (prod,staging)", true)]
    [InlineData("env in (dev)", false)]
    [InlineData("env notin (dev, staging)", true)]
    [InlineData("app=web,env in (prod)", true)]
    public void Label_selectors_match_as_the_api_server_matches(string selector, bool matches)
    {
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));
    }

    [Theory]
    [InlineData("app=web,")]
    [InlineData("app=we b")]
    [InlineData("env in prod")]
    public void A_bad_selector_is_an_error(string selector)
    {
        Assert.Throws<SelectorException>(() => LabelSelector.Parse(selector));
    }

    [Fact]
    public void Events_read_every_whole_line_and_skip_a_torn_last_one()
    {
        using var dir = new TempDir();
        string path = dir.Sub("events.jsonl");
        File.WriteAllText(path,
            "{\"time\":\"2026-11-22T06:13:00.000Z\",\"type\":\"Normal\",\"reason\":\"Started\",\"message\":\"Started container app\",\"object\":\"spec.containers{app}\",\"source\":\"kubelet\"}\n" +
            "not json at all\n" +
            "{\"time\":\"2026-11-22T06:13:30.000Z\",\"type\":\"Warning\",\"reason\":\"BackO");
        var events = EventLog.Read(path);
        Assert.Equal(["Started"], events.Select(e => e.Reason));
        Assert.Empty(EventLog.Read(dir.Sub("missing.jsonl")));
    }

    [Fact]
    public void Identical_events_are_counted_and_ordered_by_their_last_time()
    {
        PodEvent E(int secondsAgo, string reason, string message = "m") => new(Now - TimeSpan.FromSeconds(secondsAgo), "Warning", reason, message, "spec.containers{app}", "kubelet");
        var aggregated = EventLog.Aggregate([E(300, "BackOff"), E(100, "Failed"), E(60, "BackOff"), E(10, "BackOff"), E(50, "BackOff", "other")]);
        Assert.Equal([("Failed", 1), ("BackOff", 1), ("BackOff", 3)], aggregated.Select(e => (e.Reason, e.Count)));
        var text = new StringWriter { NewLine = "\n" };
        var tab = TabWriter.ForDescribe(text);
        EventLog.Describe(aggregated, new PrefixWriter(tab), Now);
        tab.Flush();
        Assert.Equal(
            "Events:\n" +
            "  Type     Reason   Age               From     Message\n" +
            "  ----     ------   ----              ----     -------\n" +
            "  Warning  Failed   100s              kubelet  m\n" +
            "  Warning  BackOff  50s               kubelet  other\n" +
            "  Warning  BackOff  10s (x3 over 5m)  kubelet  m\n", text.ToString());
    }

    [Fact]
    public void The_timeline_draws_attempts_back_off_gaps_readiness_and_probe_failures_on_one_axis()
    {
        DateTimeOffset t0 = Now;
        DateTimeOffset At(double s) => t0 + TimeSpan.FromSeconds(s);
        var data = new TimelineData("web", t0, At(40),
        [
            new TimelineContainer("setup", "init", [new TimelineAttempt(0, At(0), At(5), 0, "Completed")], [], [], false),
            new TimelineContainer("app", "app",
                [new TimelineAttempt(0, At(6), At(16), 1, "Error"), new TimelineAttempt(1, At(26), null, null, null)],
                [new TimelineProbe(At(30), 1, "Readiness", true)], [At(12)], true),
        ]);
        string text = PodTimeline.Render(data, 80);
        string[] lines = text.Split('\n');
        Assert.StartsWith("Timeline of pod/web: 0 = 2026-11-22 06:14:00 UTC, one column = 1s", lines[0]);
        Assert.Equal("             0s        10s       20s       30s       40s", lines[1]);
        string setup = lines.Single(l => l.StartsWith("setup (init)", StringComparison.Ordinal));
        string app = lines.Single(l => l.StartsWith("app (app)", StringComparison.Ordinal));
        // one column a second from column 13: setup runs 0-5 s and exits; app runs 6-16 s (a probe failure at 12 s),
        // waits out its back-off, runs again from 26 s, ready from 30 s.
        Assert.Equal("setup (init) =====]", setup);
        Assert.Equal("app (app)          ======!===].........====###########", app);
        Assert.Contains("  app #0: started at 6s, ran 10s, exit code 1 (Error)", lines);
        Assert.Contains("  app #1: started at 26s, running", lines);
        Assert.Contains("  app #1: readiness succeeded at 30s", lines);
        Assert.Contains(PodTimeline.Legend, lines);
    }

    [Fact]
    public void Service_rows_follow_kubectls_columns()
    {
        var ports = new[] { new ServicePort { Port = 80, Protocol = "TCP" }, new ServicePort { Port = 53, Protocol = "UDP", NodePort = 30053 } };
        var s = new StoredService("default", "web", "u", Now - TimeSpan.FromMinutes(3), "ClusterIP", "10.96.0.10", ports,
            new Dictionary<string, string> { ["tier"] = "front", ["app"] = "web" });
        Assert.Equal(["web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53:30053/UDP", "3m", "app=web,tier=front"], ServiceTable.Row(s, Now, true, false));
        var headless = s with { ClusterIP = "None", Ports = [] };
        Assert.Equal(["web", "ClusterIP", "None", "<none>", "<none>", "3m"], ServiceTable.Row(headless, Now, false, false));
        var external = s with { Type = "ExternalName", ClusterIP = "", ExternalName = "db.example.com" };
        Assert.Equal(["web", "ExternalName", "<none>", "db.example.com"], ServiceTable.Row(external, Now, false, false).Take(4));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], ServiceTable.Header(false, false));
    }
}

public sealed class ServiceDescribeTests
{
    [Fact]
    public void Describe_service_follows_kubectls_layout()
    {
        var s = new StoredService("default", "myservice", "u", Now, "ClusterIP", "10.96.0.10",
            [new ServicePort { Port = 80, Protocol = "TCP", TargetPort = IntOrString.FromInt(6376) }], new Dictionary<string, string>());
        Assert.Equal("""
            Name:              myservice
            Namespace:         default
            Labels:            <none>
            Annotations:       <none>
            Selector:          
            Type:              ClusterIP
            IP Family Policy:  SingleStack
            IP Families:       IPv4
            IP:                10.96.0.10
            IPs:               10.96.0.10
            Port:              <unset>  80/TCP
            TargetPort:        6376/TCP
            Endpoints:         <none>
            Session Affinity:  None
            Events:            <none>

            """.ReplaceLineEndings("\n"), ServiceDescriber.Describe(s, []));
        var selecting = s with { Selector = new Dictionary<string, string> { ["app"] = "web" } };
        Assert.Contains("Selector:          app=web\n", ServiceDescriber.Describe(selecting, ["10.88.0.5", "10.88.0.6"]));
        Assert.Contains("Endpoints:         10.88.0.5:6376,10.88.0.6:6376\n", ServiceDescriber.Describe(selecting, ["10.88.0.5", "10.88.0.6"]));
    }
}
