using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.ClusterDns;
using PodShim.Runtime.Services;
using PodShim.Runtime.State;
using PodShim.UnitTests.ClusterDns;

namespace PodShim.IntegrationTests;

/// <summary>
/// Cluster DNS with real pods: busybox's nslookup against the responder inside the pod's network
/// namespace, Services registered through <see cref="ServiceStore"/> while `podshim run` runs (the
/// `apply` verb is issue 8's), forwarding to an upstream the test starts on 127.0.0.1. No query ever
/// leaves loopback or the pods' own namespaces: every run gets --upstream-dns of the test's upstream.
/// </summary>
public sealed class ClusterDnsTests : IDisposable
{
    private readonly PodHarness _h = new();
    private readonly LoopbackDnsUpstream _upstream = new(new Dictionary<string, string[]>
    {
        ["host.example"] = ["192.0.2.10"],
        ["big.example"] = Enumerable.Range(1, 60).Select(i => $"192.0.2.{i}").ToArray(),
    });
    private readonly List<RunningPod> _pods = new();

    public void Dispose()
    {
        foreach (RunningPod pod in _pods)
            pod.Dispose();
        _upstream.Dispose();
        _h.Dispose();
    }

    private ServiceStore Services => new(new StateLayout(_h.Root));

    private StoredService Apply(string name, string? clusterIP = null)
    {
        Services.Apply(new Service(new ObjectMeta { Name = name },
            new ServiceSpec { ClusterIP = clusterIP, Ports = [new ServicePort { Protocol = "TCP", Port = 80, TargetPort = IntOrString.FromInt(9376) }] }));
        return Services.Get("default", name)!;
    }

    /// <summary>`podshim run` in the background, its stdout rows collected as they come.</summary>
    private sealed class RunningPod : IDisposable
    {
        private readonly PodHarness _h;
        public RunningPod(PodHarness h, string name, Process process)
        {
            _h = h;
            Name = name;
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Stdout.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Stderr.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }
        public Process Process { get; }
        public ConcurrentQueue<string> Stdout { get; } = new();
        public ConcurrentQueue<string> Stderr { get; } = new();

        /// <summary>The STATUS column of every row printed for this pod, in order.</summary>
        public string[] Statuses => Stdout.Where(l => l.StartsWith(Name + " ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]).ToArray();

        public string[] Log(string container)
        {
            try
            {
                return _h.LogLines(Name, container);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        public void WaitForStatus(string status, int timeoutMs = 60_000) =>
            PodHarness.WaitFor(() => Statuses.Contains(status), $"STATUS {status} (rows so far: {string.Join(", ", Statuses)}; stderr: {string.Join(" | ", Stderr)})", timeoutMs);

        public void WaitForLog(string container, string text, int timeoutMs = 60_000) =>
            PodHarness.WaitFor(() => Log(container).Any(l => l.Contains(text, StringComparison.Ordinal)),
                $"\"{text}\" in {container}'s log (so far: {string.Join(" / ", Log(container).TakeLast(10))})", timeoutMs);

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                _h.Podshim("delete", "pod", Name, "--grace-period", "0");
                if (!Process.WaitForExit(60_000))
                {
                    Process.Kill();
                    Process.WaitForExit();
                }
            }
            Process.Dispose();
        }
    }

    private RunningPod Start(string yaml, string name, string? upstreamDns = null)
    {
        var pod = new RunningPod(_h, name, _h.Start(yaml, extraArgs: ["--upstream-dns", upstreamDns ?? _upstream.Endpoint.ToString()]));
        _pods.Add(pod);
        return pod;
    }

    private static string Example(string relativePath) => File.ReadAllText(Path.Combine(PodHarness.RepoRoot, relativePath));

    private void SeedScenario(string yaml, string pod, string firstWait, string secondWait, string serviceSuffix)
    {
        RunningPod run = Start(yaml, pod);
        // Init:0/2 while the first init container's nslookup fails, round after round.
        run.WaitForStatus("Init:0/2");
        run.WaitForLog("init-myservice", firstWait);
        PodHarness.WaitFor(() => run.Log("init-myservice").Count(l => l.Contains(firstWait, StringComparison.Ordinal)) >= 2, "a second failed round");
        Assert.Equal("Init:0/2", run.Statuses[^1]);

        string myservice = Apply("myservice").ClusterIP;
        run.WaitForStatus("Init:1/2");
        run.WaitForLog("init-mydb", secondWait);
        Assert.Equal("Init:1/2", run.Statuses[^1]);

        string mydb = Apply("mydb").ClusterIP;
        run.WaitForStatus("Running");

        // The order kubectl shows, and what nslookup printed once it found the names.
        string[] statuses = run.Statuses.Distinct().ToArray();
        Assert.Equal("Init:0/2", statuses[0]);
        Assert.True(Array.IndexOf(statuses, "Init:1/2") < Array.IndexOf(statuses, "Running"), string.Join(", ", statuses));
        if (statuses.Contains("PodInitializing"))
            Assert.True(Array.IndexOf(statuses, "PodInitializing") < Array.IndexOf(statuses, "Running"));
        Assert.Contains(run.Log("init-myservice"), l => l.Contains($"myservice{serviceSuffix}", StringComparison.Ordinal) && l.StartsWith("Name:", StringComparison.Ordinal));
        Assert.Contains(run.Log("init-myservice"), l => l == $"Address: {myservice}");
        Assert.Contains(run.Log("init-mydb"), l => l == $"Address: {mydb}");
        // Cluster names never went upstream.
        Assert.Empty(_upstream.Seen);
    }

    [RootFact]
    public void The_seed_pod_waits_in_Init_until_its_services_exist_short_names()
    {
        // Seed 000: `until nslookup myservice` (a bare name; busybox 1.35 expands it over the search path).
        string yaml = Example("examples/seeds/000-init-pod1.yaml");
        SeedScenario(yaml, "init-pod1", "waiting for myservice", "waiting for mydb", ".default.svc.cluster.local");
    }

    [RootFact]
    public void The_myapp_example_waits_in_Init_until_its_services_exist_namespaced_long_names()
    {
        // examples/myapp-pod.yaml: `nslookup myservice.$(cat .../namespace).svc.cluster.local`.
        string yaml = Example("examples/myapp-pod.yaml");
        SeedScenario(yaml, "myapp-pod", "waiting for myservice", "waiting for mydb", ".default.svc.cluster.local");
    }

    private const string Prober = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: prober
        spec:
          terminationGracePeriodSeconds: 0
          containers:
          - name: c
            image: busybox
            command: ['sh', '-c', 'while true; do nslookup mydb 2>&1 | grep -E "NXDOMAIN|^Address: 10\." | head -1; sleep 0.3; done']
        """;

    [RootFact]
    public void A_deleted_service_is_NXDOMAIN_at_once()
    {
        RunningPod run = Start(Prober, "prober");
        run.WaitForLog("c", "NXDOMAIN");
        string ip = Apply("mydb").ClusterIP;
        run.WaitForLog("c", $"Address: {ip}");
        Assert.True(Services.Delete("default", "mydb"));
        int seen = run.Log("c").Length;
        PodHarness.WaitFor(() => run.Log("c").Skip(seen).Any(l => l.Contains("NXDOMAIN", StringComparison.Ordinal)), "NXDOMAIN after the delete");
        // Only lines printed after the delete was seen: none of them may still have the address for long.
        string[] after = run.Log("c").Skip(seen).ToArray();
        int firstNx = Array.FindIndex(after, l => l.Contains("NXDOMAIN", StringComparison.Ordinal));
        Assert.DoesNotContain(after.Skip(firstNx), l => l.Contains(ip, StringComparison.Ordinal));
    }

    [RootFact]
    public void Other_names_are_forwarded_to_the_upstream_and_none_means_SERVFAIL()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: fwd
            spec:
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'nslookup host.example; nslookup missing.example; echo done']
            """;
        var r = _h.Run(yaml, extraArgs: ["--upstream-dns", _upstream.Endpoint.ToString()]);
        Assert.Equal(0, r.ExitCode);
        string[] log = _h.LogLines("fwd", "c");
        Assert.Contains("Address: 192.0.2.10", log);
        Assert.Contains(log, l => l.Contains("can't find missing.example: NXDOMAIN", StringComparison.Ordinal));
        Assert.Contains("udp host.example 1", _upstream.Seen);
        Assert.Contains("udp host.example 28", _upstream.Seen);
        // Names with a dot are asked as they are: no search-path variant reaches the upstream.
        Assert.DoesNotContain(_upstream.Seen, q => q.Contains("cluster.local", StringComparison.Ordinal));

        var none = _h.Run(yaml.Replace("name: fwd", "name: nofwd"), extraArgs: ["--upstream-dns", "none"]);
        Assert.Equal(0, none.ExitCode);
        Assert.Contains(_h.LogLines("nofwd", "c"), l => l.Contains("can't find host.example: SERVFAIL", StringComparison.Ordinal));
    }

    private const string Sleeper = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: sleeper
          labels: {app: web}
        spec:
          hostname: web-0
          subdomain: web
          terminationGracePeriodSeconds: 0
          containers:
          - name: c
            image: busybox
            command: ['sleep', '3600']
        """;

    /// <summary>One query from a socket made inside the pod's network namespace, to the resolver there.</summary>
    private TestDns.Message AskInPod(string pod, byte[] query, bool tcp)
    {
        using SafeFdHandle pidfd = Posix.PidfdOpen(PodHarness.ReadPid(Path.Combine(_h.PodDir(pod), "holder.pid")));
        var resolver = new IPEndPoint(IPAddress.Parse("10.96.0.10"), 53);
        using Socket socket = NetnsSocket.Create(pidfd, AddressFamily.InterNetwork, tcp ? SocketType.Stream : SocketType.Dgram,
            tcp ? ProtocolType.Tcp : ProtocolType.Udp);
        socket.ReceiveTimeout = 10_000;
        socket.Connect(resolver);
        var buffer = new byte[65535];
        if (!tcp)
        {
            socket.Send(query);
            return TestDns.Parse(buffer.AsSpan(0, socket.Receive(buffer)));
        }
        var framed = new byte[2 + query.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        socket.Send(framed);
        int read = 0, length = -1;
        while (length < 0 || read < 2 + length)
        {
            int n = socket.Receive(buffer.AsSpan(read));
            Assert.True(n > 0, "connection closed early");
            read += n;
            if (length < 0 && read >= 2)
                length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        }
        return TestDns.Parse(buffer.AsSpan(2, length));
    }

    [RootFact]
    public void The_resolver_answers_udp_and_tcp_inside_the_pod_and_is_not_on_the_host()
    {
        RunningPod run = Start(Sleeper, "sleeper");
        run.WaitForStatus("Running");
        string ip = Apply("myservice").ClusterIP;
        Assert.Equal([ip], AskInPod("sleeper", TestDns.Query("myservice"), tcp: false).Addresses);
        Assert.Equal([ip], AskInPod("sleeper", TestDns.Query("myservice.default.svc.cluster.local"), tcp: true).Addresses);
        var aaaa = AskInPod("sleeper", TestDns.Query("myservice", type: DnsType.AAAA), tcp: false);
        Assert.Equal(DnsRcode.NoError, aaaa.Rcode);
        Assert.Empty(aaaa.Answers);

        // A forwarded answer too big for 512 bytes: TC over UDP, whole over TCP.
        var udp = AskInPod("sleeper", TestDns.Query("big.example"), tcp: false);
        Assert.True(udp.Truncated);
        Assert.Equal(60, AskInPod("sleeper", TestDns.Query("big.example"), tcp: true).Answers.Count);

        // The pod's own name under its subdomain, once a headless Service of that name exists.
        Assert.Equal(DnsRcode.NxDomain, AskInPod("sleeper", TestDns.Query("web-0.web.default.svc.cluster.local"), tcp: false).Rcode);
        Apply("web", clusterIP: "None");
        Assert.Equal(["127.0.1.1"], AskInPod("sleeper", TestDns.Query("web-0.web.default.svc.cluster.local"), tcp: false).Addresses);

        // The resolver's address exists only in the pod: the host's network is untouched.
        Assert.DoesNotContain(NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses),
            a => a.Address.Equals(IPAddress.Parse("10.96.0.10")));
    }

    [RootFact]
    public void The_pods_resolv_conf_follows_dnsPolicy()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: NAME
              namespace: shop
            spec:
              restartPolicy: Never
              POLICY
              containers:
              - name: c
                image: busybox
                command: ['cat', '/etc/resolv.conf']
            """;
        string Run(string name, string policy)
        {
            var r = _h.Run(yaml.Replace("NAME", name).Replace("POLICY", policy), extraArgs: ["--upstream-dns", "none"]);
            Assert.Equal(0, r.ExitCode);
            // The CRI log of a pod in namespace shop: "<time> stdout F <line>".
            string log = File.ReadAllText(Path.Combine(_h.Root, "pods", $"shop_{name}", "containers", "c", "0", "log"));
            return string.Concat(log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 4)[3] + "\n"));
        }
        string hostSearch = string.Concat(ResolverConfig.Parse(File.ReadAllText("/etc/resolv.conf")).Searches.Select(s => " " + s));
        Assert.Equal($"search shop.svc.cluster.local svc.cluster.local cluster.local{hostSearch}\nnameserver 10.96.0.10\noptions ndots:5\n",
            Run("cluster", "dnsPolicy: ClusterFirst"));
        Assert.Equal(ResolverConfig.Parse(File.ReadAllText("/etc/resolv.conf")).Render(), Run("dflt", "dnsPolicy: Default"));
        Assert.Equal("search my.search.example\nnameserver 192.0.2.1\noptions ndots:2 edns0\n", Run("none", """
            dnsPolicy: None
              dnsConfig:
                nameservers: [192.0.2.1]
                searches: [my.search.example]
                options: [{name: ndots, value: "2"}, {name: edns0}]
            """));
    }
}
