namespace PodShim.Manifest.Tests;

public class DefaultsAndEnvTests
{
    [Fact]
    public void ApiServerDefaults()
    {
        var pod = TestPods.LoadPod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: d}
            spec:
              containers:
              - name: c
                image: registry.local:5000/team/app
                ports: [{containerPort: 80}]
                resources: {limits: {memory: 64Mi}}
                livenessProbe: {httpGet: {port: 80}, periodSeconds: 0}
                lifecycle: {preStop: {httpGet: {port: 80}}}
                env: [{name: PODNAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
              volumes:
              - name: nothing
              - name: token
                projected: {sources: [{serviceAccountToken: {path: t}}]}
            """);
        var s = pod.Spec;
        Assert.Equal("default", pod.Metadata.Namespace);
        Assert.True(Guid.TryParse(pod.Metadata.Uid, out _));
        Assert.Equal("Always", s.RestartPolicy);
        Assert.Equal(30, s.TerminationGracePeriodSeconds);
        Assert.Equal("ClusterFirst", s.DnsPolicy);
        Assert.Equal("default", s.ServiceAccountName);
        Assert.True(s.EnableServiceLinks);
        var c = s.Containers[0];
        Assert.Equal("Always", c.ImagePullPolicy);              // no tag -> latest
        Assert.Equal("TCP", c.Ports[0].Protocol);
        Assert.Equal("/dev/termination-log", c.TerminationMessagePath);
        Assert.Equal("File", c.TerminationMessagePolicy);
        Assert.Equal("64Mi", c.Resources.Requests["memory"].ToString()); // requests default to limits
        var p = c.LivenessProbe!;
        Assert.Equal((1, 10, 1, 3, 0), (p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold, p.InitialDelaySeconds));
        Assert.Equal(("/", "HTTP"), (p.HttpGet!.Path, p.HttpGet.Scheme));
        Assert.Equal("/", c.Lifecycle!.PreStop!.HttpGet!.Path);
        Assert.Equal("v1", c.Env[0].ValueFrom!.FieldRef!.ApiVersion);
        Assert.NotNull(s.Volumes[0].EmptyDir);                   // a volume without a source is an emptyDir
        Assert.Equal(3600, s.Volumes[1].Projected!.Sources[0].ServiceAccountToken!.ExpirationSeconds);
        Assert.Equal(420, s.Volumes[1].Projected!.DefaultMode);
        Assert.Empty(PodValidation.Validate(pod));
    }

    [Theory]
    [InlineData("busybox", "Always")]
    [InlineData("busybox:latest", "Always")]
    [InlineData("busybox:1.36", "IfNotPresent")]
    [InlineData("localhost:5000/busybox", "Always")]
    [InlineData("localhost:5000/busybox:v2", "IfNotPresent")]
    [InlineData("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "IfNotPresent")]
    [InlineData("busybox:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Always")]
    [InlineData("BusyBox", "IfNotPresent")] // not a valid reference: no tag assumed
    [InlineData("", "IfNotPresent")]
    public void PullPolicyFromTheTag(string image, string policy)
    {
        var pod = TestPods.LoadPod($"apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n");
        Assert.Equal(policy, pod.Spec.Containers[0].ImagePullPolicy);
    }

    [Fact]
    public void GenerateNameMakesAName()
    {
        var pod = TestPods.LoadPod("apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec: {containers: [{name: c, image: x}]}\n");
        Assert.Matches("^job-[bcdfghjklmnpqrstvwxz2456789]{5}$", pod.Metadata.Name);
    }

    [Theory]
    [InlineData("$(A)", "a")]
    [InlineData("x$(A)y$(B)z", "xaybz")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$$", "$")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$(A", "$(A")]
    [InlineData("$A", "$A")]
    [InlineData("a$", "a$")]
    [InlineData("$()", "$()")]
    [InlineData("$(A)$(A)", "aa")]
    public void ExpandLikeTheKubelet(string input, string expected)
    {
        var vars = new Dictionary<string, string> { ["A"] = "a", ["B"] = "b" };
        Assert.Equal(expected, EnvExpansion.Expand(input, n => vars.TryGetValue(n, out var v) ? v : null));
    }

    [Fact]
    public void EnvironmentResolvesEarlierVariablesAndDownwardApi()
    {
        var pod = TestPods.LoadPod(TestPods.Full.Replace(
            "    - {name: PORT, value: \"8080\"}\n",
            "    - {name: EARLY, value: \"$(PORT)\"}\n    - {name: PORT, value: \"8080\"}\n    - {name: LBL, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n    - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}\n"));
        var app = pod.Spec.Containers[0];
        var env = EnvExpansion.Resolve(pod, app, new DownwardContext { PodIP = "10.0.0.2" });
        var map = env.ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("$(PORT)", map["EARLY"]);              // defined later: kept literally
        Assert.Equal("http://localhost:8080/", map["URL"]);
        Assert.Equal("web", map["POD"]);
        Assert.Equal("web", map["LBL"]);
        Assert.Equal("256", map["MEM"]);                    // 256Mi / 1Mi
        Assert.Equal("500", map["CPU"]);                    // 500m / 1m
        Assert.Equal(["--port", "8080"], EnvExpansion.ExpandCommand(app.Args, env));
    }

    [Fact]
    public void ResourceFieldRefUsesNodeAllocatableWhenNoLimitAndCeils()
    {
        var pod = TestPods.LoadPod("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p, labels: {b: "2", a: "1"}}
            spec:
              containers:
              - name: c
                image: x
                resources: {requests: {cpu: 1500m}}
                env:
                - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
                - {name: CPU_REQ, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
                - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Gi}}}
            """);
        var ctx = new DownwardContext
        {
            NodeAllocatable = new Dictionary<string, Quantity> { ["cpu"] = Quantity.Parse("4"), ["memory"] = Quantity.Parse("1500Mi") },
        };
        var env = EnvExpansion.Resolve(pod, pod.Spec.Containers[0], ctx).ToDictionary(e => e.Key, e => e.Value);
        Assert.Equal("4", env["CPU_LIMIT"]);
        Assert.Equal("2", env["CPU_REQ"]);   // ceil(1.5)
        Assert.Equal("2", env["MEM"]);       // ceil(1500Mi / 1Gi)
        Assert.Equal("a=\"1\"\nb=\"2\"", EnvExpansion.FieldValue(pod, "metadata.labels", ctx));
    }
}
