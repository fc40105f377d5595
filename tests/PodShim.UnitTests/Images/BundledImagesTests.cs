using System.Runtime.Versioning;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using PodShim.Runtime.Images;

namespace PodShim.UnitTests.Images;

/// <summary>Runs rootfs/build-images.sh into a temporary directory and resolves busybox from it.</summary>
[SupportedOSPlatform("linux")]
public sealed class BundledImagesTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>The directory holding Shim.sln, above the test binary (or else above this source file).</summary>
    private static string RepoRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "/" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Shim.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"Shim.sln not found above {AppContext.BaseDirectory}");
    }

    private static (int ExitCode, string Output) BuildImages(string outDir)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepoRoot(), "rootfs", "build-images.sh"), outDir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void BuildsAndResolvesBusybox()
    {
        string images = _tmp.Sub("bin", "images");
        (int code, string output) = BuildImages(images);
        Assert.True(code == 0, $"build-images.sh failed ({code}): {output}");

        var store = new ImageStore([images]);
        ResolvedImage latest = store.Resolve("busybox");
        foreach (string reference in new[] { "busybox:latest", "busybox:1.28", "docker.io/library/busybox:latest" })
        {
            ResolvedImage r = store.Resolve(reference);
            Assert.Equal(latest.ManifestDigest, r.ManifestDigest);
            Assert.Equal(latest.LayerDirs, r.LayerDirs);
        }
        Assert.Equal("docker.io/library/busybox:1.28", store.Resolve("busybox:1.28").Reference);
        Assert.Throws<ImageNotFoundException>(() => store.Resolve("busybox:1.36"));

        Assert.Equal(["sh"], latest.Config.Cmd);
        Assert.Empty(latest.Config.Entrypoint);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], latest.Config.Env);

        string layer = Assert.Single(latest.LayerDirs);
        Assert.True(File.Exists(Path.Combine(layer, "bin", "busybox")));
        foreach (string applet in new[] { "sh", "nslookup", "wget", "httpd", "sleep", "cat" })
            Assert.Equal("busybox", new FileInfo(Path.Combine(layer, "bin", applet)).LinkTarget);
        Assert.Equal("../bin/busybox", new FileInfo(Path.Combine(layer, "sbin", "ifconfig")).LinkTarget);
        Assert.Equal("1777", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(layer, "tmp")), 8));
        foreach (string dir in new[] { "proc", "sys", "dev", "root", "var" })
        {
            Assert.True(Directory.Exists(Path.Combine(layer, dir)), dir);
            Assert.Null(new DirectoryInfo(Path.Combine(layer, dir)).LinkTarget);
        }
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(layer, "proc")));
        string passwd = File.ReadAllText(Path.Combine(layer, "etc", "passwd"));
        Assert.Contains("root:x:0:0:root:/root:/bin/sh\n", passwd);
        Assert.Contains("nobody:x:65534:65534:", passwd);
        Assert.Contains("app:x:1000:1000:", passwd);
        Assert.Contains("app:x:1000:", File.ReadAllText(Path.Combine(layer, "etc", "group")));
        Assert.False(File.Exists(Path.Combine(layer, "etc", "hosts")));

        // busyboxplus: busybox's layer and a layer with Debian's curl and the libraries it loads.
        ResolvedImage plus = store.Resolve("busyboxplus");
        Assert.Equal(plus.ManifestDigest, store.Resolve("busyboxplus:curl").ManifestDigest);
        Assert.Equal(2, plus.LayerDirs.Count);
        Assert.Equal(latest.LayerDirs[0], plus.LayerDirs[0]);
        Assert.True(File.Exists(Path.Combine(plus.LayerDirs[1], "usr", "bin", "curl")));
        Assert.True(File.Exists(Path.Combine(plus.LayerDirs[1], "lib64", "ld-linux-x86-64.so.2")));
        Assert.True(File.Exists(Path.Combine(plus.LayerDirs[1], "lib", "x86_64-linux-gnu", "libcurl.so.4")));

        // nginx: Debian's nginx laid out like the official image.
        ResolvedImage nginx = store.Resolve("nginx");
        foreach (string tag in new[] { "nginx:1.22", "nginx:1.22.1", "docker.io/library/nginx:latest" })
            Assert.Equal(nginx.ManifestDigest, store.Resolve(tag).ManifestDigest);
        Assert.Equal(latest.LayerDirs[0], nginx.LayerDirs[0]);
        string ngx = nginx.LayerDirs[1];
        Assert.True(File.Exists(Path.Combine(ngx, "usr", "sbin", "nginx")));
        Assert.Equal("/dev/stdout", new FileInfo(Path.Combine(ngx, "var", "log", "nginx", "access.log")).LinkTarget);
        Assert.Equal("/dev/stderr", new FileInfo(Path.Combine(ngx, "var", "log", "nginx", "error.log")).LinkTarget);
        Assert.Contains("root   /usr/share/nginx/html;", File.ReadAllText(Path.Combine(ngx, "etc", "nginx", "conf.d", "default.conf")));
        Assert.Contains("listen       80;", File.ReadAllText(Path.Combine(ngx, "etc", "nginx", "conf.d", "default.conf")));
        Assert.True(File.Exists(Path.Combine(ngx, "etc", "nginx", "mime.types")));
        Assert.Contains("Welcome to nginx!", File.ReadAllText(Path.Combine(ngx, "usr", "share", "nginx", "html", "index.html")));
        Assert.Contains("nginx:x:101:101:", File.ReadAllText(Path.Combine(ngx, "etc", "passwd")));
        Assert.Equal(["nginx", "-g", "daemon off;"], nginx.Config.Cmd);
        Assert.Equal("SIGQUIT", nginx.Config.StopSignal);
        Assert.Equal(["80/tcp"], nginx.Config.ExposedPorts);

        // myapp:v1 on top of nginx: index.html and an entrypoint that writes hostname.html.
        ResolvedImage myapp = store.Resolve("myapp:v1");
        Assert.Equal(nginx.LayerDirs, myapp.LayerDirs.Take(2));
        Assert.Equal(3, myapp.LayerDirs.Count);
        Assert.Contains("Hello MyApp | Version: v1", File.ReadAllText(Path.Combine(myapp.LayerDirs[2], "usr", "share", "nginx", "html", "index.html")));
        Assert.Equal(["/usr/local/bin/myapp-entrypoint"], myapp.Config.Entrypoint);
        Assert.Contains("hostname.html", File.ReadAllText(Path.Combine(myapp.LayerDirs[2], "usr", "local", "bin", "myapp-entrypoint")));

        // Warm run: up to date, nothing done, nothing printed.
        (code, output) = BuildImages(images);
        Assert.Equal(0, code);
        Assert.Equal("", output);
        Assert.Equal(latest.ManifestDigest, new ImageStore([images]).Resolve("busybox").ManifestDigest);

        // Deterministic: a cold build elsewhere gives the same digests.
        string again = _tmp.Sub("again");
        (code, output) = BuildImages(again);
        Assert.True(code == 0, output);
        Assert.Equal(latest.ManifestDigest, new ImageStore([again]).Resolve("busybox").ManifestDigest);
        foreach (string image in new[] { "busyboxplus", "nginx", "myapp:v1" })
            Assert.Equal(store.Resolve(image).ManifestDigest, new ImageStore([again]).Resolve(image).ManifestDigest);
    }

    [Fact]
    public void RebuildsWhenTheStampIsStale()
    {
        string images = _tmp.Sub("images");
        Assert.Equal(0, BuildImages(images).ExitCode);
        File.WriteAllText(Path.Combine(images, ".stamp"), "stale\n");
        // A layer the new build does not produce (as after a recipe change) may still be a
        // running container's lowerdir: the rebuild must not delete it.
        string oldLayer = Path.Combine(images, "layers", "sha256", new string('a', 64));
        Directory.CreateDirectory(Path.Combine(oldLayer, "bin"));
        (int code, string output) = BuildImages(images);
        Assert.True(code == 0, output);
        Assert.Contains("build-images:", output);
        Assert.NotEqual("stale\n", File.ReadAllText(Path.Combine(images, ".stamp")));
        Assert.Equal(["images", "images.lock"], Directory.GetFileSystemEntries(_tmp.Path).Select(p => Path.GetFileName(p)!).Order().ToArray());
        Assert.NotNull(new ImageStore([images]).Resolve("busybox:1.28"));
        Assert.True(Directory.Exists(Path.Combine(oldLayer, "bin")));
    }
}
