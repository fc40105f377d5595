using PodShim.Manifest;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Kubectl;

/// <summary>`get pods` output, whole tables compared byte for byte, on a fixed clock (F.Now).</summary>
public sealed class GetOutputTests
{
    private static readonly PodCondition[] Initialized = [new("Initialized", "True", null, null, Now)];
    private static readonly PodCondition[] Ready = [new("Initialized", "True", null, null, Now), new("Ready", "True", null, null, Now)];

    private static PodRecord Record(Pod pod, TimeSpan age) =>
        PodRecord.For(pod, Now - age, "node1");

    private static (Pod, PodRecord, PodStatusInfo) P(string name, string policy, string inits, string apps, TimeSpan age, PodStatusInfo status)
    {
        Pod pod = Pod(policy, inits, apps);
        pod = pod with { Metadata = pod.Metadata with { Name = name } };
        return (pod, Record(pod, age), status);
    }

    private static string Table(bool wide, params (Pod Pod, PodRecord Record, PodStatusInfo Status)[] pods)
    {
        var output = new StringWriter { NewLine = "\n" };
        var w = TabWriter.ForTable(output);
        PodTable.Write(w, PodTable.Header(wide, withNamespace: false));
        foreach (var (pod, record, status) in pods)
            PodTable.Write(w, PodTable.Row(pod, record, status, Now, wide, withNamespace: false));
        w.Flush();
        return output.ToString();
    }

    [Fact]
    public void Pods_in_every_state_print_as_kubectl_prints_them()
    {
        string table = Table(false,
            P("pending", "Always", "", "app", TimeSpan.FromSeconds(3), new PodStatusInfo()),
            P("creating", "Always", "", "app", TimeSpan.FromSeconds(8), new PodStatusInfo { ContainerStatuses = L(Waiting("app", "ContainerCreating")), Conditions = Initialized }),
            P("init-0", "Always", "i1,i2", "app", TimeSpan.FromSeconds(20),
                new PodStatusInfo { InitContainerStatuses = L(Running("i1", ready: false), Waiting("i2", "PodInitializing")), ContainerStatuses = L(Waiting("app", "PodInitializing")) }),
            P("init-1", "Always", "i1,i2", "app", TimeSpan.FromSeconds(75),
                new PodStatusInfo { InitContainerStatuses = L(Exited("i1", 0), Running("i2", ready: false)), ContainerStatuses = L(Waiting("app", "PodInitializing")) }),
            P("init-error", "Never", "i1", "app", TimeSpan.FromMinutes(6),
                new PodStatusInfo { Phase = "Failed", InitContainerStatuses = L(Exited("i1", 1)), ContainerStatuses = L(Waiting("app", "PodInitializing")) }),
            P("running", "Always", "", "app", TimeSpan.FromMinutes(200),
                new PodStatusInfo { Phase = "Running", ContainerStatuses = L(Running("app")), Conditions = Ready }),
            P("crashing", "Always", "", "app", TimeSpan.FromHours(26),
                new PodStatusInfo { Phase = "Running", ContainerStatuses = L(BackOff("app", 1, restarts: 4, finishedAgo: TimeSpan.FromSeconds(75))), Conditions = Initialized }),
            P("done", "Never", "", "app", TimeSpan.FromDays(3),
                new PodStatusInfo { Phase = "Succeeded", ContainerStatuses = L(Exited("app", 0)), Conditions = Initialized }),
            P("failed", "Never", "", "a,b", TimeSpan.FromSeconds(90),
                new PodStatusInfo { Phase = "Failed", ContainerStatuses = L(Exited("a", 2), Exited("b", 0)), Conditions = Initialized }),
            P("terminating", "Always", "", "app", TimeSpan.FromSeconds(44),
                new PodStatusInfo { Phase = "Running", Deleting = true, ContainerStatuses = L(Running("app")), Conditions = Ready }));
        Assert.Equal(
            "NAME          READY   STATUS              RESTARTS      AGE\n" +
            "pending       0/1     Pending             0             3s\n" +
            "creating      0/1     ContainerCreating   0             8s\n" +
            "init-0        0/1     Init:0/2            0             20s\n" +
            "init-1        0/1     Init:1/2            0             75s\n" +
            "init-error    0/1     Init:Error          0             6m\n" +
            "running       1/1     Running             0             3h20m\n" +
            "crashing      0/1     CrashLoopBackOff    4 (75s ago)   26h\n" +
            "done          0/1     Completed           0             3d\n" +
            "failed        0/2     Error               0             90s\n" +
            "terminating   1/1     Terminating         0             44s\n", table);
    }

    [Fact]
    public void Wide_adds_ip_node_nominated_node_and_readiness_gates()
    {
        var (pod, record, _) = P("web", "Always", "", "app", TimeSpan.FromMinutes(2), new PodStatusInfo());
        var status = new PodStatusInfo { Phase = "Running", PodIP = "10.88.0.5", ContainerStatuses = L(Running("app")), Conditions = Ready };
        Assert.Equal(
            "NAME   READY   STATUS    RESTARTS   AGE   IP          NODE    NOMINATED NODE   READINESS GATES\n" +
            "web    1/1     Running   0          2m    10.88.0.5   node1   <none>           <none>\n",
            Table(true, (pod, record, status)));
        Assert.Equal(
            "NAME   READY   STATUS    RESTARTS   AGE   IP       NODE    NOMINATED NODE   READINESS GATES\n" +
            "web    0/1     Pending   0          2m    <none>   node1   <none>           <none>\n",
            Table(true, (pod, record, new PodStatusInfo())));
    }

    [Fact]
    public void Age_counts_from_creation_not_from_the_start()
    {
        var (pod, record, _) = P("web", "Always", "", "app", TimeSpan.FromSeconds(200), new PodStatusInfo());
        var status = new PodStatusInfo { Phase = "Running", StartTime = Now - TimeSpan.FromSeconds(5), ContainerStatuses = L(Running("app")), Conditions = Ready };
        Assert.Equal("3m20s", PodTable.Row(pod, record, status, Now, false, false)[4]);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(59, "59s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(200, "3m20s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 20 * 60, "3h20m")]
    [InlineData(8 * 3600 + 5 * 60, "8h")]
    [InlineData(26 * 3600, "26h")]
    [InlineData(50 * 3600, "2d2h")]
    [InlineData(9 * 86400, "9d")]
    [InlineData(400 * 86400, "400d")]
    [InlineData(3 * 365 * 86400, "3y")]
    public void Ages_use_kubectls_short_forms(int seconds, string age)
    {
        var (pod, record, status) = P("web", "Always", "", "app", TimeSpan.FromSeconds(seconds), new PodStatusInfo());
        Assert.Equal(age, PodTable.Row(pod, record, status, Now, false, false)[4]);
    }

    [Fact]
    public void All_namespaces_adds_the_namespace_column_and_a_kind_prefix_is_kept_in_the_name()
    {
        var (pod, record, status) = P("web", "Always", "", "app", TimeSpan.FromSeconds(1), new PodStatusInfo());
        Assert.Equal(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"], PodTable.Header(false, true));
        Assert.Equal(["default", "pod/web", "0/1", "Pending", "0", "1s"], PodTable.Row(pod, record, status, Now, false, true, "pod/"));
    }

    [Fact]
    public void The_summary_in_meta_json_gives_the_same_row_as_the_full_spec()
    {
        var (pod, record, _) = P("web", "Always", "s:proxy,i1", "a,b", TimeSpan.FromSeconds(30), new PodStatusInfo());
        var status = new PodStatusInfo
        {
            Phase = "Running",
            InitContainerStatuses = L(Running("proxy"), Exited("i1", 0)),
            ContainerStatuses = L(Running("a"), Running("b", ready: false)),
            Conditions = Initialized,
        };
        PodRecord parsed = PodRecord.Parse(record.Serialize());
        Assert.Equal(PodTable.Row(pod, record, status, Now, false, false), PodTable.Row(parsed.SummaryPod(), parsed, status, Now, false, false));
        Assert.Equal("2/3", PodTable.Row(parsed.SummaryPod(), parsed, status, Now, false, false)[1]);
    }
}
