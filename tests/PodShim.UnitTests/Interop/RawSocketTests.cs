using System.Net;
using PodShim.Interop;
using Xunit;

namespace PodShim.UnitTests.Interop;

public sealed class RawSocketTests
{
    [Theory]
    [InlineData("127.0.0.1", 80)]
    [InlineData("10.1.2.3", 65535)]
    [InlineData("::1", 8080)]
    [InlineData("fe80::1%1", 443)]
    public void Sockaddr_matches_the_runtimes_serialization(string ip, int port)
    {
        IPAddress address = IPAddress.Parse(ip);
        byte[] expected = new IPEndPoint(address, port).Serialize().Buffer.ToArray();
        Span<byte> sockaddr = stackalloc byte[RawSocket.MaxSockaddrLength];
        int length = RawSocket.WriteSockaddr(address, port, sockaddr);
        Assert.Equal(expected, sockaddr[..length].ToArray());
    }
}
