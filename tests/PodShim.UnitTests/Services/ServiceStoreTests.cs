using System.Text.Json;
using PodShim.Manifest;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Services;

public sealed class ServiceStoreTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 4, 5, 6, 7, 890, TimeSpan.Zero));
    private readonly StateLayout _layout;

    public ServiceStoreTests() => _layout = new StateLayout(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private ServiceStore Store(int seed = 7) => new(_layout, _time, new Random(seed));

    private static Service Svc(string name, string ns = "default", string? clusterIP = null, int port = 80,
        string type = "ClusterIP", IReadOnlyDictionary<string, string>? selector = null) =>
        new(new ObjectMeta { Name = name, Namespace = ns, Labels = new Dictionary<string, string> { ["app"] = name } },
            new ServiceSpec
            {
                Type = type,
                ClusterIP = clusterIP,
                ExternalName = type == "ExternalName" ? "db.example.com" : null,
                Selector = selector ?? new Dictionary<string, string>(),
                Ports = type == "ExternalName" ? [] : [new ServicePort { Protocol = "TCP", Port = port, TargetPort = IntOrString.FromInt(9376) }],
            });

    private static string Message(Action act) => Assert.Throws<ServiceInvalidException>(act).Message;

    [Fact]
    public void LayoutHasAServicesDirectory() =>
        Assert.Equal("/r/services", new StateLayout("/r").ServicesDirectory);

    [Fact]
    public void CreateAllocatesFromTheUpperBandAndWritesAV1Service()
    {
        var store = Store();
        Assert.Equal(ServiceApplyOutcome.Created, store.Apply(Svc("myservice")));

        StoredService s = Assert.IsType<StoredService>(store.Get("default", "myservice"));
        Assert.True(ClusterIPRange.TryParse(s.ClusterIP, out uint ip));
        Assert.InRange(ip, ClusterIPRange.Network + ClusterIPRange.StaticBandSize, ClusterIPRange.Network + ClusterIPRange.Size - 2);
        Assert.StartsWith("10.", s.ClusterIP);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), s.CreationTimestamp);
        Assert.True(Guid.TryParse(s.Uid, out _));
        Assert.Equal("ClusterIP", s.Type);
        Assert.False(s.IsHeadless);

        string path = Path.Combine(_dir.Path, "services", "default_myservice.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        Assert.Equal("v1", root.GetProperty("apiVersion").GetString());
        Assert.Equal("Service", root.GetProperty("kind").GetString());
        var meta = root.GetProperty("metadata");
        Assert.Equal("myservice", meta.GetProperty("name").GetString());
        Assert.Equal("default", meta.GetProperty("namespace").GetString());
        Assert.Equal(s.Uid, meta.GetProperty("uid").GetString());
        Assert.Equal("2026-03-04T05:06:07Z", meta.GetProperty("creationTimestamp").GetString());
        Assert.Equal("myservice", meta.GetProperty("labels").GetProperty("app").GetString());
        var spec = root.GetProperty("spec");
        Assert.Equal("ClusterIP", spec.GetProperty("type").GetString());
        Assert.Equal(s.ClusterIP, spec.GetProperty("clusterIP").GetString());
        Assert.Equal(s.ClusterIP, spec.GetProperty("clusterIPs")[0].GetString());
        var port = spec.GetProperty("ports")[0];
        Assert.Equal("TCP", port.GetProperty("protocol").GetString());
        Assert.Equal(80, port.GetProperty("port").GetInt32());
        Assert.Equal(9376, port.GetProperty("targetPort").GetInt32());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir.Path, "services"), "*.tmp*"));
    }

    [Fact]
    public void ApplyingTheSameServiceAgainIsUnchangedAndKeepsUidAndIP()
    {
        var store = Store();
        store.Apply(Svc("myservice"));
        string path = store.PathOf("default", "myservice");
        string before = File.ReadAllText(path);
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(ServiceApplyOutcome.Unchanged, Store(99).Apply(Svc("myservice")));
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void ChangingAPortIsConfiguredAndKeepsUidCreationAndIP()
    {
        var store = Store();
        store.Apply(Svc("myservice"));
        var first = store.Get("default", "myservice")!;
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(ServiceApplyOutcome.Configured, Store(99).Apply(Svc("myservice", port: 8080)));
        var second = store.Get("default", "myservice")!;
        Assert.Equal(first.Uid, second.Uid);
        Assert.Equal(first.ClusterIP, second.ClusterIP);
        Assert.Equal(first.CreationTimestamp, second.CreationTimestamp);
        Assert.Equal(8080, Assert.Single(second.Ports).Port);
    }

    [Fact]
    public void ARequestedClusterIPIsHonoured()
    {
        var store = Store();
        store.Apply(Svc("fixed", clusterIP: "10.96.0.53"));
        Assert.Equal("10.96.0.53", store.Get("default", "fixed")!.ClusterIP);
        // Re-applying with the same IP spelled out, or without one, keeps it.
        Assert.Equal(ServiceApplyOutcome.Unchanged, store.Apply(Svc("fixed", clusterIP: "10.96.0.53")));
        Assert.Equal(ServiceApplyOutcome.Unchanged, store.Apply(Svc("fixed")));
    }

    [Fact]
    public void ATakenClusterIPIsRefusedWithTheApiServersMessage()
    {
        var store = Store();
        store.Apply(Svc("first", clusterIP: "10.96.0.53"));
        Assert.Equal(
            "The Service \"second\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.53\"}: failed to allocate IP 10.96.0.53: provided IP is already allocated",
            Message(() => store.Apply(Svc("second", ns: "other", clusterIP: "10.96.0.53"))));
        Assert.Null(store.Get("other", "second"));
    }

    [Theory]
    [InlineData("10.96.0.1")]   // the kubernetes Service
    [InlineData("10.96.0.10")]  // the cluster DNS address
    public void ReservedAddressesAreTaken(string ip) =>
        Assert.EndsWith($"failed to allocate IP {ip}: provided IP is already allocated", Message(() => Store().Apply(Svc("s", clusterIP: ip))));

    [Theory]
    [InlineData("10.0.0.5")]
    [InlineData("10.96.0.0")]      // network address
    [InlineData("10.111.255.255")] // broadcast address
    [InlineData("10.112.0.1")]
    public void AnAddressOutsideTheRangeIsRefused(string ip) =>
        Assert.Equal(
            $"The Service \"s\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12",
            Message(() => Store().Apply(Svc("s", clusterIP: ip))));

    [Fact]
    public void IPv6IsNotConfigured() =>
        Assert.Equal(
            "The Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"fd00::1\"}: IPv6 is not configured on this cluster",
            Message(() => Store().Apply(Svc("s", clusterIP: "fd00::1"))));

    [Fact]
    public void TheClusterIPMayNotChangeOnceSet()
    {
        var store = Store();
        store.Apply(Svc("s", clusterIP: "10.96.0.53"));
        Assert.Equal(
            "The Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.54\"}: may not change once set",
            Message(() => store.Apply(Svc("s", clusterIP: "10.96.0.54"))));
        Assert.EndsWith("may not change once set", Message(() => store.Apply(Svc("s", clusterIP: "None"))));
        Assert.Equal("10.96.0.53", store.Get("default", "s")!.ClusterIP);
    }

    [Fact]
    public void NoneMakesAHeadlessService()
    {
        var store = Store();
        store.Apply(Svc("db", clusterIP: "None"));
        var s = store.Get("default", "db")!;
        Assert.True(s.IsHeadless);
        Assert.Equal("None", s.ClusterIP);
        Assert.Equal(ServiceApplyOutcome.Unchanged, store.Apply(Svc("db", clusterIP: "None")));
        Assert.Equal(ServiceApplyOutcome.Unchanged, store.Apply(Svc("db")));
    }

    [Fact]
    public void AnExternalNameServiceHasNoClusterIP()
    {
        var store = Store();
        store.Apply(Svc("ext", type: "ExternalName"));
        var s = store.Get("default", "ext")!;
        Assert.Equal("", s.ClusterIP);
        Assert.Equal("db.example.com", s.ExternalName);
    }

    [Fact]
    public void AnInvalidServiceIsRefusedAndNothingIsWritten()
    {
        var store = Store();
        var bad = Svc("Bad_Name");
        Assert.StartsWith("The Service \"Bad_Name\" is invalid: metadata.name", Message(() => store.Apply(bad)));
        Assert.Empty(store.List());
    }

    [Fact]
    public void ListIsOrderedAndFiltersByNamespaceAndSkipsForeignFiles()
    {
        var store = Store();
        store.Apply(Svc("mydb"));
        store.Apply(Svc("myservice"));
        store.Apply(Svc("api", ns: "shop"));
        File.WriteAllText(Path.Combine(store.Directory, "default_junk.json"), "{ not json");
        File.WriteAllText(Path.Combine(store.Directory, "default_x.json.tmp123"), "{}");
        File.WriteAllText(Path.Combine(store.Directory, "default_pod.json"), "{\"kind\":\"Pod\",\"metadata\":{},\"spec\":{}}");

        Assert.Equal(["default/mydb", "default/myservice", "shop/api"], store.List().Select(s => $"{s.Namespace}/{s.Name}"));
        Assert.Equal(["mydb", "myservice"], store.List("default").Select(s => s.Name));
        Assert.Equal(["api"], store.List("shop").Select(s => s.Name));
        Assert.Empty(store.List("nothing"));
    }

    [Fact]
    public void ListAndGetOnAFreshRootFindNothing()
    {
        var store = Store();
        Assert.Empty(store.List());
        Assert.Null(store.Get("default", "x"));
        Assert.False(store.Delete("default", "x"));
    }

    [Fact]
    public void DeleteRemovesTheServiceAndFreesItsIP()
    {
        var store = Store();
        store.Apply(Svc("a", clusterIP: "10.96.0.53"));
        Assert.True(store.Delete("default", "a"));
        Assert.False(store.Delete("default", "a"));
        Assert.Null(store.Get("default", "a"));
        Assert.Equal(ServiceApplyOutcome.Created, store.Apply(Svc("b", clusterIP: "10.96.0.53")));
    }

    [Fact]
    public void RecreatingADeletedServiceGivesItANewUid()
    {
        var store = Store();
        store.Apply(Svc("a"));
        string uid = store.Get("default", "a")!.Uid;
        store.Delete("default", "a");
        Assert.Equal(ServiceApplyOutcome.Created, store.Apply(Svc("a")));
        Assert.NotEqual(uid, store.Get("default", "a")!.Uid);
    }

    [Fact]
    public void DynamicAllocationNeverRepeatsAnAddressEvenWhenTheRandomSequenceDoes()
    {
        // Every store starts from the same random sequence, so without the registry check they would collide.
        for (int i = 0; i < 20; i++)
            Store(seed: 1).Apply(Svc($"s{i}"));
        var ips = Store().List().Select(s => s.ClusterIP).ToList();
        Assert.Equal(20, ips.Distinct().Count());
    }

    [Fact]
    public void ConcurrentWritersGetDistinctAddresses()
    {
        // Each writer has its own lock file descriptor, as two CLI processes would; all draw the same
        // random candidates, so only the flock keeps them from handing out one address twice.
        const int writers = 12;
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(i => new Thread(() =>
        {
            var store = Store(seed: 3);
            start.SignalAndWait();
            store.Apply(Svc($"svc{i}"));
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var services = Store().List();
        Assert.Equal(writers, services.Count);
        Assert.Equal(writers, services.Select(s => s.ClusterIP).Distinct().Count());
    }

    [Fact]
    public void JsonRoundTripKeepsEveryField()
    {
        var s = new StoredService("shop", "web", "0b4c5a0e-0000-4000-8000-000000000001", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            "NodePort", "10.100.1.2",
            [
                new ServicePort { Name = "http", Protocol = "TCP", Port = 80, TargetPort = IntOrString.FromString("web"), NodePort = 30080, AppProtocol = "http" },
                new ServicePort { Name = "dns", Protocol = "UDP", Port = 53, TargetPort = IntOrString.FromInt(5353) },
            ],
            new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front" })
        {
            Labels = new Dictionary<string, string> { ["team"] = "a" },
            Annotations = new Dictionary<string, string> { ["note"] = "x" },
            ExternalIPs = ["192.0.2.1"],
            SessionAffinity = "ClientIP",
            PublishNotReadyAddresses = true,
        };
        string json = ServiceJson.Serialize(s);
        var back = ServiceJson.Parse(System.Text.Encoding.UTF8.GetBytes(json))!;
        Assert.Equal(json, ServiceJson.Serialize(back));
        Assert.Equal(s.Ports, back.Ports);
        Assert.Equal("web", back.Ports[0].TargetPort.StringValue);
        Assert.Equal(5353, back.Ports[1].TargetPort.IntValue);
        Assert.Equal(s.Selector, back.Selector);
        Assert.Equal(s.ExternalIPs, back.ExternalIPs);
        Assert.Equal(s.CreationTimestamp, back.CreationTimestamp);
        Assert.True(back.PublishNotReadyAddresses);
        Assert.Equal("ClientIP", back.SessionAffinity);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{\"kind\":\"Service\"}")]
    [InlineData("{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"},\"spec\":{}}")]
    [InlineData("{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\",\"namespace\":\"b\"},\"spec\":{\"ports\":[1,{\"port\":\"x\"}]}}")]
    public void ParseRejectsOrToleratesDamagedFiles(string text)
    {
        var parsed = ServiceJson.Parse(System.Text.Encoding.UTF8.GetBytes(text));
        if (parsed is not null)
            Assert.Equal("a", parsed.Name);
    }
}
