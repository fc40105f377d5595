using PodShim.Manifest;
using PodShim.Runtime.ClusterDns;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.ClusterDns;

/// <summary>A Service registry in a temporary root and a resolver for a pod in it.</summary>
internal sealed class ResolverFixture : IDisposable
{
    private readonly TestDirectory _dir = new();

    public ResolverFixture(string podNamespace = "default", string hostname = "web-0", string? subdomain = "web",
        IReadOnlyDictionary<string, string>? labels = null)
    {
        Store = new ServiceStore(new StateLayout(_dir.Path));
        View = new ServiceDirectoryView(Store);
        Pod = new DnsPodIdentity(podNamespace, hostname, subdomain, labels ?? new Dictionary<string, string> { ["app"] = "web" })
        {
            IsReady = () => Ready,
        };
        Resolver = new ClusterDnsResolver(View, Pod);
        Handler = new DnsRequestHandler(Resolver);
    }

    public ServiceStore Store { get; }
    public ServiceDirectoryView View { get; }
    public DnsPodIdentity Pod { get; }
    public ClusterDnsResolver Resolver { get; }
    public DnsRequestHandler Handler { get; }
    public bool Ready { get; set; } = true;

    public StoredService Apply(string name, string ns = "default", string? clusterIP = null, string type = "ClusterIP",
        IReadOnlyDictionary<string, string>? selector = null, string? externalName = null, bool publishNotReady = false)
    {
        Store.Apply(new Service(new ObjectMeta { Name = name, Namespace = ns },
            new ServiceSpec
            {
                Type = type,
                ClusterIP = clusterIP,
                ExternalName = externalName,
                PublishNotReadyAddresses = publishNotReady,
                Selector = selector ?? new Dictionary<string, string>(),
                Ports = type == "ExternalName" ? [] : [new ServicePort { Protocol = "TCP", Port = 80, TargetPort = IntOrString.FromInt(8080) }],
            }));
        return Store.Get(ns, name)!;
    }

    /// <summary>Sends a query through the handler (UDP unless <paramref name="tcp"/>); null when it is to be forwarded.</summary>
    public TestDns.Message? Ask(string name, ushort type = 1, bool tcp = false, int? ednsSize = null)
    {
        byte[] query = TestDns.Query(name, type, ednsSize: ednsSize);
        var response = new byte[tcp ? DnsRequestHandler.TcpLimit : 4096];
        DnsHandling handling = Handler.Handle(query, response, tcp, out int length);
        if (handling == DnsHandling.Forward)
            return null;
        Assert.Equal(DnsHandling.Reply, handling);
        return TestDns.Parse(response.AsSpan(0, length));
    }

    public void Dispose() => _dir.Dispose();
}
