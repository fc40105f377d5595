using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PodShim.Runtime.ClusterDns;

namespace PodShim.UnitTests.ClusterDns;

/// <summary>
/// A stand-in upstream resolver on 127.0.0.1 (UDP and TCP on one port) for tests, so that no test ever
/// sends a query to a real resolver. It answers the A records it is given, NXDOMAIN for anything else,
/// never answers names starting with "silent.", and records every question it sees.
/// </summary>
public sealed class LoopbackDnsUpstream : IDisposable
{
    private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _tcp = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Dictionary<string, byte[][]> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly Thread _udpThread, _tcpThread;

    public LoopbackDnsUpstream(IReadOnlyDictionary<string, string[]> records)
    {
        foreach (var (name, ips) in records)
            _records[name] = ips.Select(ip => IPAddress.Parse(ip).GetAddressBytes()).ToArray();
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _tcp.Bind(new IPEndPoint(IPAddress.Loopback, Endpoint.Port));
        _tcp.Listen(16);
        _udpThread = new Thread(ServeUdp) { IsBackground = true, Name = "test upstream udp" };
        _tcpThread = new Thread(ServeTcp) { IsBackground = true, Name = "test upstream tcp" };
        _udpThread.Start();
        _tcpThread.Start();
    }

    public IPEndPoint Endpoint => (IPEndPoint)_udp.LocalEndPoint!;

    /// <summary>Questions received: "udp name type" / "tcp name type".</summary>
    public ConcurrentQueue<string> Seen { get; } = new();

    private int Answer(ReadOnlySpan<byte> request, Span<byte> response, int limit, string transport)
    {
        var nameBuffer = new byte[255];
        if (DnsQuery.Parse(request, nameBuffer, out DnsQuery q) != DnsParseStatus.Ok)
            return 0;
        string name = DnsName.ToText(q.Name);
        Seen.Enqueue($"{transport} {name} {q.Type}");
        if (name.StartsWith("silent.", StringComparison.Ordinal))
            return 0;
        var b = new DnsResponseBuilder(response, limit, stackalloc ushort[32]);
        bool known = _records.TryGetValue(name, out byte[][]? ips);
        b.Begin(q, known ? DnsRcode.NoError : DnsRcode.NxDomain, authoritative: true);
        if (known && q.Type == DnsType.A)
            foreach (byte[] ip in ips!)
                b.AddA(q.Name, 60, ip);
        return b.Finish();
    }

    private void ServeUdp()
    {
        var request = new byte[4096];
        var response = new byte[4096];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (true)
        {
            try
            {
                int n = _udp.ReceiveFrom(request, SocketFlags.None, from);
                var nameBuffer = new byte[255];
                int limit = DnsQuery.Parse(request.AsSpan(0, n), nameBuffer, out DnsQuery q) == DnsParseStatus.Ok ? q.UdpPayloadLimit : 512;
                int length = Answer(request.AsSpan(0, n), response, limit, "udp");
                if (length > 0)
                    _udp.SendTo(response.AsSpan(0, length), SocketFlags.None, from);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void ServeTcp()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = _tcp.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            using (client)
            {
                try
                {
                    var prefix = new byte[2];
                    if (client.Receive(prefix) != 2)
                        continue;
                    var request = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                    int read = 0;
                    while (read < request.Length)
                    {
                        int n = client.Receive(request.AsSpan(read));
                        if (n == 0)
                            break;
                        read += n;
                    }
                    var response = new byte[2 + 65535];
                    int length = Answer(request, response.AsSpan(2), 65535, "tcp");
                    if (length == 0)
                        continue;
                    BinaryPrimitives.WriteUInt16BigEndian(response, (ushort)length);
                    client.Send(response.AsSpan(0, 2 + length));
                }
                catch (SocketException)
                {
                }
            }
        }
    }

    public void Dispose()
    {
        _udp.Dispose();
        _tcp.Dispose();
        _udpThread.Join(TimeSpan.FromSeconds(5));
        _tcpThread.Join(TimeSpan.FromSeconds(5));
    }
}
