using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PodShim.Runtime.Probes;
using PodShim.Runtime.Probes.Http;

namespace PodShim.UnitTests.Probes.Http;

public class HttpsProberTests
{
    /// <summary>A one-connection TLS server with a throwaway self-signed certificate (the prober does not verify it).</summary>
    private static (int Port, Thread Thread, Func<string> Request) Serve(string response)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=probe-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 ephemeral = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var cert = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string request = "";
        var thread = new Thread(() =>
        {
            try
            {
                if (!listener.Server.Poll(10_000_000, SelectMode.SelectRead)) return;
                using TcpClient client = listener.AcceptTcpClient();
                client.ReceiveTimeout = 5_000;
                using var ssl = new SslStream(client.GetStream());
                ssl.AuthenticateAsServer(cert);
                var buf = new byte[4096];
                var sb = new StringBuilder();
                while (!sb.ToString().Contains("\r\n\r\n"))
                {
                    int n = ssl.Read(buf);
                    if (n == 0) break;
                    sb.Append(Encoding.ASCII.GetString(buf, 0, n));
                }
                request = sb.ToString();
                ssl.Write(Encoding.ASCII.GetBytes(response));
                ssl.Flush();
                client.Client.Poll(2_000_000, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                listener.Stop();
                cert.Dispose();
            }
        }) { IsBackground = true };
        thread.Start();
        return (port, thread, () => request);
    }

    [Fact]
    public void HttpsWithASelfSignedCertificateSucceeds()
    {
        var (port, thread, request) = Serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var prober = new HttpProber(new HttpProbeSpec("HTTPS", "127.0.0.1", port, "/secure", []), HttpProberTests.OpenSocket);
        Assert.Equal(new ProbeResult(ProbeOutcome.Success), prober.Probe(TimeSpan.FromSeconds(5)));
        thread.Join(5_000);
        Assert.StartsWith($"GET /secure HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n", request());
        Assert.Equal($"https://127.0.0.1:{port}/secure", prober.Url);
    }

    [Fact]
    public void HttpsFailureStatus()
    {
        var (port, thread, _) = Serve("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n");
        using var prober = new HttpProber(new HttpProbeSpec("https", "127.0.0.1", port, "/", []), HttpProberTests.OpenSocket);
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "HTTP probe failed with statuscode: 503"), prober.Probe(TimeSpan.FromSeconds(5)));
        thread.Join(5_000);
    }

    [Fact]
    public void HttpsAgainstAPlainServerFails()
    {
        using var server = new LoopbackHttpServer((_, _) => [Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")], maxConnections: 1, readRequest: false);
        using var prober = new HttpProber(new HttpProbeSpec("HTTPS", "127.0.0.1", server.Port, "/", []), HttpProberTests.OpenSocket);
        ProbeResult r = prober.Probe(TimeSpan.FromSeconds(5));
        Assert.Equal(ProbeOutcome.Failure, r.Outcome);
        Assert.StartsWith($"Get \"https://127.0.0.1:{server.Port}/\": ", r.Message);
    }
}
