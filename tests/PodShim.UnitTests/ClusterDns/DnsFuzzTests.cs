using PodShim.Runtime.ClusterDns;
using Xunit.Abstractions;

namespace PodShim.UnitTests.ClusterDns;

/// <summary>
/// Random and mutated messages through the responder's handler, over UDP and TCP: it must never throw,
/// and whatever it sends must be a well-formed response to that message within the transport's limit.
/// The seed changes every run and is printed, so a failure can be replayed with DNS_FUZZ_SEED.
/// </summary>
public sealed class DnsFuzzTests : IDisposable
{
    private const int RandomPackets = 25_000, MutatedPackets = 25_000;
    private readonly ResolverFixture _f = new();
    private readonly ITestOutputHelper _output;

    public DnsFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        _f.Apply("myservice");
        _f.Apply("mydb", clusterIP: "10.96.0.20");
        _f.Apply("web", clusterIP: "None", selector: new Dictionary<string, string> { ["app"] = "web" });
        _f.Apply("ext", type: "ExternalName", externalName: "db.example.com");
    }

    public void Dispose() => _f.Dispose();

    private static byte[][] Corpus()
    {
        var corpus = new List<byte[]>();
        foreach (string name in new[] { "myservice", "mydb.default", "myservice.default.svc.cluster.local", "web", "ext",
                     "web-0.web.default.svc.cluster.local", "10-1-2-3.default.pod.cluster.local", "20.0.96.10.in-addr.arpa",
                     "nosuch.default.svc.cluster.local", "cluster.local", "example.com" })
        {
            foreach (ushort type in new ushort[] { 1, 28, 12, 255, 15 })
            {
                corpus.Add(TestDns.Query(name, type));
                corpus.Add(TestDns.Query(name, type, ednsSize: 1232));
            }
        }
        // A message full of compression pointers: a response, which mutations turn back into queries.
        var nameBuffer = new byte[255];
        DnsQuery.Parse(TestDns.Query("myservice.default.svc.cluster.local"), nameBuffer, out DnsQuery q);
        var response = new byte[512];
        var b = new DnsResponseBuilder(response, 512, stackalloc ushort[32]);
        b.Begin(q, 0, true);
        b.AddA(q.Name, 5, [10, 96, 0, 1]);
        b.AddCname(q.Name, 5, nameBuffer.AsSpan(0, q.Name.Length));
        int n = b.Finish();
        byte[] pointers = response[..n];
        pointers[2] &= 0x7F; // clear QR
        corpus.Add(pointers);
        return corpus.ToArray();
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        var m = new List<byte>(source);
        int count = 1 + random.Next(8);
        for (int i = 0; i < count; i++)
        {
            int at = m.Count == 0 ? 0 : random.Next(m.Count);
            switch (random.Next(8))
            {
                case 0 when m.Count > 0: m[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when m.Count > 0: m[at] = (byte)random.Next(256); break;
                case 2: m.Insert(at, (byte)random.Next(256)); break;
                case 3 when m.Count > 0: m.RemoveAt(at); break;
                case 4 when m.Count > 1: m.RemoveRange(random.Next(m.Count), 1); m.RemoveRange(random.Next(m.Count), m.Count > 1 ? 1 : 0); break;
                case 5 when m.Count > 1:
                    // A compression pointer anywhere, to anywhere (forward, backward, itself).
                    m[at] = (byte)(0xC0 | random.Next(4));
                    if (at + 1 < m.Count)
                        m[at + 1] = (byte)random.Next(m.Count);
                    break;
                case 6 when m.Count > 0: m.RemoveRange(at, m.Count - at); break;               // truncate
                case 7 when m.Count > 12: m[4 + random.Next(8)] = (byte)random.Next(4); break;  // section counts
            }
        }
        return m.ToArray();
    }

    private static byte[] RandomPacket(Random random)
    {
        var packet = new byte[random.Next(0, 600)];
        random.NextBytes(packet);
        if (packet.Length >= 12 && random.Next(2) == 0)
        {
            // A plausible header, so the fuzzing gets past the first checks.
            packet[2] &= 0x07;
            packet[4] = 0;
            packet[5] = 1;
            packet[6] = packet[8] = packet[10] = 0;
            packet[7] = packet[9] = 0;
            packet[11] = (byte)random.Next(3);
        }
        return packet;
    }

    [Fact]
    public void NoMessageCrashesTheHandlerAndEveryReplyIsWellFormed()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("DNS_FUZZ_SEED"), out int s) ? s : Random.Shared.Next();
        _output.WriteLine($"DNS fuzz seed {seed} (replay with DNS_FUZZ_SEED={seed})");
        var random = new Random(seed);
        byte[][] corpus = Corpus();
        var udp = new byte[4096];
        var tcp = new byte[DnsRequestHandler.TcpLimit];
        var name = new byte[255];
        int replies = 0, forwards = 0, drops = 0;

        for (int i = 0; i < RandomPackets + MutatedPackets; i++)
        {
            byte[] packet = i < RandomPackets ? RandomPacket(random) : Mutate(corpus[random.Next(corpus.Length)], random);
            foreach (bool overTcp in new[] { false, true })
            {
                byte[] response = overTcp ? tcp : udp;
                DnsHandling handling;
                int length;
                try
                {
                    handling = _f.Handler.Handle(packet, response, overTcp, out length);
                }
                catch (Exception e)
                {
                    Assert.Fail($"seed {seed}, packet {i} ({Convert.ToHexString(packet)}): {e}");
                    return;
                }
                switch (handling)
                {
                    case DnsHandling.Reply:
                        replies++;
                        Assert.True(length <= (overTcp ? DnsRequestHandler.TcpLimit : 4096), $"seed {seed}, packet {i}: {length} bytes");
                        if (!overTcp)
                            Assert.True(length <= DnsRequestHandler.UdpLimitOf(packet), $"seed {seed}, packet {i}: {length} bytes over UDP");
                        TestDns.Message reply;
                        try
                        {
                            reply = TestDns.Parse(response.AsSpan(0, length));
                        }
                        catch (Exception e)
                        {
                            Assert.Fail($"seed {seed}, packet {i} ({Convert.ToHexString(packet)}): malformed reply {Convert.ToHexString(response.AsSpan(0, length))}: {e.Message}");
                            return;
                        }
                        Assert.True(reply.IsResponse);
                        Assert.Equal((ushort)(packet[0] << 8 | packet[1]), reply.Id);
                        break;
                    case DnsHandling.Forward:
                        forwards++;
                        break;
                    default:
                        drops++;
                        break;
                }
            }
            // Names read from any offset of any message: always an answer, never a hang.
            if (packet.Length > 0)
                DnsName.TryRead(packet, random.Next(packet.Length), name, out _, out _);
        }
        _output.WriteLine($"{RandomPackets + MutatedPackets} packets, twice: {replies} replies, {forwards} forwards, {drops} drops");
        // The mix must exercise every path, or the fuzzing proves little.
        Assert.True(replies > 10_000, $"only {replies} replies");
        Assert.True(forwards > 100, $"only {forwards} forwards");
        Assert.True(drops > 1_000, $"only {drops} drops");
    }
}
