using PodShim.Runtime.Images;

namespace PodShim.UnitTests.Images;

public class ImageReferenceTests
{
    private const string Sha = "sha256:2b7412e6465c3c7fc5bb21d3e6f1917c167358449fecac8176c6e496e5c1f05f";

    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.28", "docker.io/library/busybox:1.28")]
    [InlineData("busybox:latest", "docker.io/library/busybox:latest")]
    [InlineData("library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/busybox", "docker.io/library/busybox:latest")]
    [InlineData("docker.io/library/busybox:1.28", "docker.io/library/busybox:1.28")]
    [InlineData("index.docker.io/library/busybox", "docker.io/library/busybox:latest")]
    [InlineData("myrepo/x", "docker.io/myrepo/x:latest")]
    [InlineData("myrepo/x:v1", "docker.io/myrepo/x:v1")]
    [InlineData("a/b/c", "docker.io/a/b/c:latest")]
    [InlineData("localhost/x", "localhost/x:latest")]
    [InlineData("localhost:5000/x:y", "localhost:5000/x:y")]
    [InlineData("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9")]
    [InlineData("quay.io/coreos/etcd:v3.5.0", "quay.io/coreos/etcd:v3.5.0")]
    [InlineData("gcr.io/google-samples/hello-app:1.0", "gcr.io/google-samples/hello-app:1.0")]
    [InlineData("my_repo/some-name.with__seps", "docker.io/my_repo/some-name.with__seps:latest")]
    [InlineData("[::1]:5000/x", "[::1]:5000/x:latest")]
    [InlineData("localhost:5000", "docker.io/library/localhost:5000")]
    [InlineData("busybox@" + Sha, "docker.io/library/busybox@" + Sha)]
    [InlineData("busybox:1.28@" + Sha, "docker.io/library/busybox:1.28@" + Sha)]
    [InlineData("localhost:5000/x@" + Sha, "localhost:5000/x@" + Sha)]
    public void Normalizes(string input, string expected)
    {
        ImageReference r = ImageReference.Parse(input);
        Assert.Equal(expected, r.ToString());
        Assert.Equal(r, ImageReference.Parse(r.ToString()));
    }

    [Fact]
    public void SplitsIntoParts()
    {
        Assert.Equal(new ImageReference("docker.io", "library/busybox", "latest", null), ImageReference.Parse("busybox"));
        Assert.Equal(new ImageReference("localhost:5000", "a/b", "y", null), ImageReference.Parse("localhost:5000/a/b:y"));
        var d = ImageReference.Parse("x@" + Sha);
        Assert.Null(d.Tag);
        Assert.Equal(Sha, d.Digest);
        Assert.Equal("docker.io/library/x", d.Name);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Busybox", "lowercase")]
    [InlineData("docker.io/Library/busybox", "lowercase")]
    [InlineData("busybox:", "invalid tag")]
    [InlineData("busybox:-x", "invalid tag")]
    [InlineData("busybox:a/b", "invalid registry")]
    [InlineData("busy box", "whitespace")]
    [InlineData(" busybox", "whitespace")]
    [InlineData("busybox@sha256:abc", "64 lowercase hex")]
    [InlineData("busybox@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm")]
    [InlineData("busybox@", "invalid digest")]
    [InlineData("/busybox", "empty path component")]
    [InlineData("busybox/", "empty path component")]
    [InlineData("a//b", "empty path component")]
    [InlineData("-busybox", "invalid repository path component")]
    [InlineData("busy--box_", "invalid repository path component")]
    [InlineData("my.registry.io/", "empty path component")]
    [InlineData("bad_host.io:5000/x", "invalid registry")]
    [InlineData(":latest", "repository name is empty")]
    [InlineData("2b7412e6465c3c7fc5bb21d3e6f1917c167358449fecac8176c6e496e5c1f05f", "image ID")]
    public void RejectsWithAClearMessage(string input, string messagePart)
    {
        var e = Assert.Throws<FormatException>(() => ImageReference.Parse(input));
        Assert.Contains($"invalid image reference \"{input}\"", e.Message);
        Assert.Contains(messagePart, e.Message);
    }

    [Fact]
    public void RejectsOverlongNames()
    {
        string name = "a/" + new string('b', 250);
        var e = Assert.Throws<FormatException>(() => ImageReference.Parse(name));
        Assert.Contains("longer than 255", e.Message);
    }

    [Fact]
    public void TryParse()
    {
        Assert.True(ImageReference.TryParse("busybox", out var r));
        Assert.Equal("docker.io/library/busybox:latest", r!.ToString());
        Assert.False(ImageReference.TryParse("Bad", out r));
        Assert.Null(r);
    }
}
