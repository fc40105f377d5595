using System.Text;
using PodShim.Runtime.Probes.Http;

namespace PodShim.UnitTests.Probes.Http;

public class HttpResponseParserTests
{
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    [Fact]
    public void ParsesStatusLineAndTheHeadersItNeeds()
    {
        byte[] head = B("HTTP/1.1 302 Found\r\nContent-Length: 5\r\nlocation:  /next \r\nX-Other: y\r\n\r\n");
        Assert.Equal(head.Length, HttpResponseParser.FindHeadEnd(head));
        Assert.Equal(HeadError.None, HttpResponseParser.ParseHead(head, out ResponseHead h));
        Assert.Equal(302, h.StatusCode);
        Assert.Equal(5, h.ContentLength);
        Assert.False(h.Chunked);
        Assert.Equal("/next", Encoding.Latin1.GetString(head, h.LocationStart, h.LocationLength));
    }

    [Fact]
    public void TransferEncodingChunkedWinsOverContentLength()
    {
        byte[] head = B("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: Chunked\r\n\r\n");
        Assert.Equal(HeadError.None, HttpResponseParser.ParseHead(head, out ResponseHead h));
        Assert.True(h.Chunked);
        Assert.Equal(-1, h.ContentLength);
        Assert.Equal(-1, h.LocationStart);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nA: b\r\n\r\n")]
    [InlineData("HTTP/1.0 404 Not Found\nA: b\n\n")]
    [InlineData("HTTP/1.1 204\r\n\r\n")]
    public void FindsTheEndOfTheHeadAtEverySplit(string text)
    {
        byte[] all = B(text);
        for (int i = 0; i < all.Length; i++)
            Assert.Equal(-1, HttpResponseParser.FindHeadEnd(all.AsSpan(0, i)));
        Assert.Equal(all.Length, HttpResponseParser.FindHeadEnd(all));
        byte[] more = B(text + "body\r\n\r\n");
        Assert.Equal(all.Length, HttpResponseParser.FindHeadEnd(more));
    }

    [Theory]
    [InlineData("garbage", nameof(HeadError.MalformedResponse))]
    [InlineData("HTTP/1.1 20 OK", nameof(HeadError.MalformedStatusCode))]
    [InlineData("HTTP/1.1 2000 OK", nameof(HeadError.MalformedStatusCode))]
    [InlineData("HTTP/1.1 abc OK", nameof(HeadError.MalformedStatusCode))]
    [InlineData("HTTP/1.1  200 OK", nameof(HeadError.MalformedStatusCode))]
    [InlineData("ICY 200 OK", nameof(HeadError.MalformedVersion))]
    [InlineData("HTTP/1 200 OK", nameof(HeadError.MalformedVersion))]
    [InlineData("HTTP/a.b 200 OK", nameof(HeadError.MalformedVersion))]
    [InlineData("HTTP/1.1 200 OK", nameof(HeadError.None))]
    [InlineData("HTTP/1.1 599", nameof(HeadError.None))]
    [InlineData("HTTP/2.0 200 OK", nameof(HeadError.None))]
    public void RejectsBadStatusLines(string line, string expected)
    {
        Assert.Equal(Enum.Parse<HeadError>(expected), HttpResponseParser.ParseStatusLine(B(line), out _, out _, out _));
    }

    [Theory]
    [InlineData("NoColonHere", nameof(HeadError.MalformedHeader))]
    [InlineData("Bad Name: x", nameof(HeadError.MalformedHeader))]
    [InlineData(": empty", nameof(HeadError.MalformedHeader))]
    [InlineData("Content-Length: abc", nameof(HeadError.BadContentLength))]
    [InlineData("Content-Length: -1", nameof(HeadError.BadContentLength))]
    [InlineData("Content-Length: 1\r\nContent-Length: 2", nameof(HeadError.MultipleContentLength))]
    [InlineData("Content-Length: 2\r\nContent-Length: 2", nameof(HeadError.None))]
    [InlineData("Transfer-Encoding: gzip", nameof(HeadError.UnsupportedTransferEncoding))]
    [InlineData("X-Folded: a\r\n  continued", nameof(HeadError.None))]
    public void RejectsBadHeaders(string header, string expected)
    {
        Assert.Equal(Enum.Parse<HeadError>(expected), HttpResponseParser.ParseHead(B($"HTTP/1.1 200 OK\r\n{header}\r\n\r\n"), out _));
    }

    [Fact]
    public void DescribesErrorsInGoWording()
    {
        Assert.Equal("net/http: HTTP/1.x transport connection broken: malformed HTTP response \"garbage\"",
            HttpResponseParser.Describe(HeadError.MalformedResponse, B("garbage")));
        Assert.Equal("net/http: HTTP/1.x transport connection broken: malformed HTTP status code \"20\"",
            HttpResponseParser.Describe(HeadError.MalformedStatusCode, B("20")));
    }

    private const string Chunked = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";

    [Theory]
    [InlineData(Chunked, "hello, world")]
    [InlineData("5\nhello\r\n0\n\n", "hello")]
    [InlineData("A \r\n0123456789\r\n0\r\n\r\n", "0123456789")]
    [InlineData("0\r\n\r\n", "")]
    public void DecodesChunkedBodiesSplitAtEveryByte(string text, string expected)
    {
        byte[] all = B(text);
        for (int split = 0; split <= all.Length; split++)
        {
            var decoder = new ChunkedDecoder();
            byte[] body = new byte[64];
            int length = 0;
            ChunkStatus first = decoder.Decode(all.AsSpan(0, split), body, ref length);
            ChunkStatus status = first == ChunkStatus.Done ? first : decoder.Decode(all.AsSpan(split), body, ref length);
            Assert.True(status == ChunkStatus.Done, $"split {split}: {status} {decoder.Error}");
            Assert.Equal(expected, Encoding.Latin1.GetString(body, 0, length));
        }
        // And byte by byte.
        var d = new ChunkedDecoder();
        byte[] b = new byte[64];
        int len = 0;
        ChunkStatus last = ChunkStatus.NeedMore;
        foreach (byte x in all) last = d.Decode([x], b, ref len);
        Assert.Equal(ChunkStatus.Done, last);
        Assert.Equal(expected, Encoding.Latin1.GetString(b, 0, len));
    }

    [Theory]
    [InlineData("x\r\n", "invalid byte in chunk length")]
    [InlineData("5\r\nhelloXX", "malformed chunked encoding")]
    [InlineData("fffffffffffffffff\r\n", "http chunk length too large")]
    public void RejectsBadChunking(string text, string reason)
    {
        var decoder = new ChunkedDecoder();
        int length = 0;
        Assert.Equal(ChunkStatus.Error, decoder.Decode(B(text), new byte[64], ref length));
        Assert.Equal(reason, decoder.Error);
    }

    [Fact]
    public void ChunkedDataBeyondTheBodyBufferIsDropped()
    {
        var decoder = new ChunkedDecoder();
        byte[] body = new byte[4];
        int length = 0;
        Assert.Equal(ChunkStatus.Done, decoder.Decode(B("8\r\nabcdefgh\r\n0\r\n\r\n"), body, ref length));
        Assert.Equal("abcd", Encoding.Latin1.GetString(body, 0, length));
    }
}
