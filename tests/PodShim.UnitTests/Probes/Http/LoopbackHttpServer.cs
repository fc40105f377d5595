using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PodShim.UnitTests.Probes.Http;

/// <summary>
/// A raw loopback server for probe tests: listens on 127.0.0.1:0, serves at most MaxConnections connections one at a
/// time, each by reading the request head and writing the canned segments the handler returns (with a pause between
/// segments so they arrive as separate reads), then closing. A null answer holds the connection open until the
/// server is disposed. The accept loop stops itself after its lifetime runs out.
/// </summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<int, string, byte[][]?> _respond;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _requests = new();
    private readonly bool _readRequest;

    public LoopbackHttpServer(Func<int, string, byte[][]?> respond, int maxConnections = 64, int segmentPauseMs = 0, int lifetimeMs = 20_000, bool readRequest = true)
    {
        _readRequest = readRequest;
        _respond = respond;
        MaxConnections = maxConnections;
        SegmentPauseMs = segmentPauseMs;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(64);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _stop.CancelAfter(lifetimeMs);
        _thread = new Thread(Serve) { IsBackground = true, Name = "loopback-http" };
        _thread.Start();
    }

    public int Port { get; }
    public int MaxConnections { get; }
    public int SegmentPauseMs { get; }

    public IReadOnlyList<string> Requests { get { lock (_requests) return _requests.ToArray(); } }

    /// <summary>A server answering every request with the same text.</summary>
    public static LoopbackHttpServer Canned(string response, int maxConnections = 64) =>
        new((_, _) => [Encoding.UTF8.GetBytes(response)], maxConnections);

    private void Serve()
    {
        try
        {
            for (int i = 0; i < MaxConnections && !_stop.IsCancellationRequested; i++)
            {
                if (!_listener.Server.Poll(100_000, SelectMode.SelectRead)) { i--; continue; }
                using Socket client = _listener.AcceptSocket();
                client.NoDelay = true;
                string request = _readRequest ? ReadHead(client) : "";
                lock (_requests) _requests.Add(request);
                byte[][]? segments = _respond(i, request);
                if (segments is null)
                {
                    _stop.Token.WaitHandle.WaitOne(); // hang until disposed
                    return;
                }
                for (int s = 0; s < segments.Length; s++)
                {
                    if (s > 0 && SegmentPauseMs > 0) Thread.Sleep(SegmentPauseMs);
                    try { client.Send(segments[s]); } catch (SocketException) { break; }
                }
                client.Shutdown(SocketShutdown.Send);
                // Let the prober close first (it resets), so the server does not reset unread data.
                client.Poll(2_000_000, SelectMode.SelectRead);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    private string ReadHead(Socket client)
    {
        var data = new List<byte>();
        byte[] buf = new byte[4096];
        client.ReceiveTimeout = 5_000;
        while (!Encoding.Latin1.GetString(data.ToArray()).Contains("\r\n\r\n"))
        {
            int n;
            try { n = client.Receive(buf); } catch (SocketException) { break; }
            if (n == 0) break;
            data.AddRange(buf.AsSpan(0, n).ToArray());
        }
        return Encoding.UTF8.GetString(data.ToArray());
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _thread.Join(5_000);
        _stop.Dispose();
    }
}
