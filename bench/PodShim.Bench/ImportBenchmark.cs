using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Images;

namespace PodShim.Bench;

/// <summary>
/// Issue 6's figures: `podshim image import` of a 100 MiB image (busybox plus 100 files of 1 MiB of
/// random bytes, so gzip cannot shrink it) as a plain rootfs tarball, a docker archive and a gzip OCI
/// archive, in MiB/s of the file given; then the first container start from the imported image
/// (`podshim run` of a pod whose container is `true`, CLI start → return, and Scheduled → Started
/// from the pod's events). Each import goes into a fresh root, so nothing is reused.
/// </summary>
internal static class ImportBenchmark
{
    private const int Files = 100;
    private const int FileSize = 1 << 20;

    public static int Run(string[] args)
    {
        if (!BenchEnvironment.RequireRoot("ownership on unpack, namespaces and mounts for the start"))
            return 2;
        int n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        string podshim = BenchEnvironment.Podshim;
        string work = BenchEnvironment.WorkPath("importbench");
        Directory.CreateDirectory(work);
        try
        {
            string busybox = ImageStore.ForRoot(work).Resolve("busybox").LayerDirs.Single();
            byte[] layer = BuildLayer(busybox);
            string rootfs = Path.Combine(work, "rootfs.tar");
            File.WriteAllBytes(rootfs, layer);
            string docker = Path.Combine(work, "docker.tar");
            File.WriteAllBytes(docker, DockerArchive(layer, "localhost/big:1"));
            string oci = Path.Combine(work, "oci.tar");
            File.WriteAllBytes(oci, OciArchive(Gzip(layer), layer, "localhost/big:1"));
            Console.WriteLine($"image: {layer.Length / 1048576.0:F1} MiB uncompressed ({Files} x 1 MiB random + busybox)");

            foreach (var (label, file, extra) in new[]
            {
                ("rootfs tarball (plain tar)", rootfs, new[] { "--name", "localhost/big:1" }),
                ("docker archive (plain layers)", docker, Array.Empty<string>()),
                ("OCI archive (gzip layer)", oci, Array.Empty<string>()),
            })
            {
                var rates = new List<double>();
                var times = new List<double>();
                for (int i = 0; i < n; i++)
                {
                    string root = Path.Combine(work, $"root-{Guid.NewGuid():N}");
                    var sw = Stopwatch.StartNew();
                    Check(Exec(podshim, ["image", "import", file, "--quiet", "--root", root, .. extra]), "import");
                    double seconds = sw.Elapsed.TotalSeconds;
                    times.Add(seconds * 1000);
                    rates.Add(new FileInfo(file).Length / 1048576.0 / seconds);
                    Directory.Delete(root, recursive: true);
                }
                Console.WriteLine($"import {label}, {new FileInfo(file).Length / 1048576.0:F1} MiB file (n={n}): median {Median(rates):F0} MiB/s, {Median(times):F0} ms");
            }

            // The first start from the image: one import, then the first pod, then a second one.
            string startRoot = Path.Combine(work, "start");
            Check(Exec(podshim, ["image", "import", rootfs, "--quiet", "--name", "localhost/big:1", "--root", startRoot]), "import");
            string pod = Path.Combine(work, "pod.yaml");
            File.WriteAllText(pod, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: localhost/big:1\n    command: [\"/bin/true\"]\n");
            foreach (string which in new[] { "first", "second" })
            {
                var sw = Stopwatch.StartNew();
                Check(Exec(podshim, ["run", "-f", pod, "--root", startRoot]), "run");
                double ms = sw.Elapsed.TotalMilliseconds;
                double started = ScheduledToStarted(Path.Combine(startRoot, "pods", "default_big", "events.jsonl"));
                Console.WriteLine($"{which} container start from the imported image: podshim run CLI start -> return {ms:F0} ms; Scheduled -> Started {started:F0} ms");
                Check(Exec(podshim, ["delete", "pod", "big", "--root", startRoot]), "delete");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static byte[] BuildLayer(string busybox)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (string path in Directory.EnumerateFileSystemEntries(busybox, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                w.WriteEntry(path, Path.GetRelativePath(busybox, path));
            var random = new Random(6);
            byte[] data = new byte[FileSize];
            for (int i = 0; i < Files; i++)
            {
                random.NextBytes(data);
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"data/blob-{i:D3}") { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
            }
        }
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(data);
        return ms.ToArray();
    }

    private static string Digest(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    private static byte[] Config(byte[] layerTar) => Encoding.UTF8.GetBytes(
        $"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{{\"Cmd\":[\"sh\"]}},\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{Digest(layerTar)}\"]}}}}");

    private static byte[] DockerArchive(byte[] layer, string tag)
    {
        byte[] config = Config(layer);
        return Tar([
            ($"{Digest(layer)[7..]}.tar", layer),
            ($"{Digest(config)[7..]}.json", config),
            ("manifest.json", Encoding.UTF8.GetBytes($"[{{\"Config\":\"{Digest(config)[7..]}.json\",\"RepoTags\":[\"{tag}\"],\"Layers\":[\"{Digest(layer)[7..]}.tar\"]}}]")),
        ]);
    }

    private static byte[] OciArchive(byte[] blob, byte[] layerTar, string tag)
    {
        byte[] config = Config(layerTar);
        byte[] manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{Digest(config)}\",\"size\":{config.Length}}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{Digest(blob)}\",\"size\":{blob.Length}}}]}}");
        byte[] index = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"manifests\":[{{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{Digest(manifest)}\",\"size\":{manifest.Length},\"annotations\":{{\"org.opencontainers.image.ref.name\":\"{tag}\"}}}}]}}");
        return Tar([
            ("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"u8.ToArray()),
            ($"blobs/sha256/{Digest(blob)[7..]}", blob),
            ($"blobs/sha256/{Digest(config)[7..]}", config),
            ($"blobs/sha256/{Digest(manifest)[7..]}", manifest),
            ("index.json", index),
        ]);
    }

    private static byte[] Tar(IEnumerable<(string Name, byte[] Data)> files)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, data) in files)
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)0b110_100_100 });
        }
        return ms.ToArray();
    }

    private static double ScheduledToStarted(string events)
    {
        DateTimeOffset? scheduled = null, started = null;
        foreach (string line in File.ReadLines(events))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var e = doc.RootElement;
            var time = DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture);
            string reason = e.GetProperty("reason").GetString()!;
            if (reason == "Scheduled")
                scheduled ??= time;
            if (reason == "Started")
                started ??= time;
        }
        return (started!.Value - scheduled!.Value).TotalMilliseconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static (int Code, string Err) Exec(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err.Result);
    }

    private static void Check((int Code, string Err) r, string what)
    {
        if (r.Code != 0)
            throw new InvalidOperationException($"{what} failed ({r.Code}): {r.Err}");
    }
}
