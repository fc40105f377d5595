using System.Diagnostics;
using System.Text.Json;
using PodShim.Interop;
using PodShim.Runtime.Images;
using PodShim.Tests.Images;

namespace PodShim.IntegrationTests;

/// <summary>
/// `podshim image import|ls|inspect|rm` against archives made by a real tool (podman, installed by
/// `./build.sh test`) and built in the test, and containers run from what was imported.
/// </summary>
public sealed class ImageImportTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>The bundled busybox rootfs as a tarball (what `podman import` and rootfs imports take).</summary>
    private string BusyboxRootfsTarball()
    {
        string layer = ImageStore.ForRoot(_h.Root).Resolve("busybox").LayerDirs.Single();
        string tarball = Path.Combine(_h.Root, "busybox-rootfs.tar");
        Exec("tar", "-C", layer, "-cf", tarball, ".");
        return tarball;
    }

    private static string Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {p.ExitCode}: {err.Result}");
        return output;
    }

    /// <summary>
    /// podman with all its state under <paramref name="dir"/>, run in a private mount namespace whose
    /// /var/lib and /var/tmp are empty tmpfs: podman's blob cache (/var/lib/containers/cache) and big
    /// temporary files never touch the host.
    /// </summary>
    private static void Podman(string dir, params string[] args)
    {
        if (!File.Exists("/usr/bin/podman"))
            Assert.Fail("podman is not installed: `./build.sh test` installs it (apt-get install podman)");
        string command = "mount -t tmpfs tmpfs /var/lib && mount -t tmpfs tmpfs /var/tmp && exec podman " +
            $"--root {dir}/storage --runroot {dir}/run --tmpdir {dir}/tmp --storage-driver vfs --events-backend none --log-level error " +
            string.Join(' ', args.Select(a => "'" + a + "'"));
        Exec("unshare", "--mount", "--propagation", "private", "sh", "-c", command);
    }

    private static string Pod(string name, params (string Container, string Image, string Script)[] containers)
    {
        string yaml = $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n  containers:\n";
        foreach (var (c, image, script) in containers)
            yaml += $"  - name: {c}\n    image: {image}\n    command: [\"sh\", \"-c\", \"{script}\"]\n";
        return yaml;
    }

    [RootFact]
    public void Archives_saved_by_podman_in_every_format_import_and_run()
    {
        string work = Path.Combine(_h.Root, "podman");
        Directory.CreateDirectory(work);
        Podman(work, "import", "-q", BusyboxRootfsTarball(), "localhost/pbox:1");
        Podman(work, "save", "-q", "--format", "oci-archive", "-o", Path.Combine(work, "oci.tar"), "localhost/pbox:1");
        Podman(work, "save", "-q", "--format", "docker-archive", "-o", Path.Combine(work, "docker.tar"), "localhost/pbox:1");
        Podman(work, "save", "-q", "--format", "oci-dir", "-o", Path.Combine(work, "oci-dir"), "localhost/pbox:1");

        // Each with the name it carries, and each under its own name too.
        var r = _h.Podshim("image", "import", Path.Combine(work, "oci.tar"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("Imported localhost/pbox:1 (image ", r.Stdout);
        foreach (var (file, name) in new[] { ("oci.tar", "oci:1"), ("docker.tar", "docker:1"), ("oci-dir", "ocidir:1") })
        {
            r = _h.Podshim("image", "import", Path.Combine(work, file), "--name", name);
            Assert.True(r.ExitCode == 0, $"{file}: {r.Stderr}");
            Assert.Contains($"Imported docker.io/library/{name}", r.Stdout);
        }

        var run = _h.Run(Pod("from-podman",
            ("a", "localhost/pbox:1", "echo a; busybox | head -1 | cut -d' ' -f1"),
            ("b", "oci:1", "echo b"),
            ("c", "docker:1", "echo c"),
            ("d", "ocidir:1", "echo d")));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["a", "BusyBox"], _h.LogLines("from-podman", "a"));
        Assert.Equal(["b"], _h.LogLines("from-podman", "b"));
        Assert.Equal(["c"], _h.LogLines("from-podman", "c"));
        Assert.Equal(["d"], _h.LogLines("from-podman", "d"));

        // One layer content, unpacked once: podman's formats differ in blobs, not in the layer.
        var store = new ImageStore([Path.Combine(_h.Root, "images")]);
        string layer = store.Resolve("localhost/pbox:1").LayerDirs.Single();
        foreach (string name in new[] { "oci:1", "docker:1", "ocidir:1" })
            Assert.Equal(layer, store.Resolve(name).LayerDirs.Single());
    }

    [RootFact]
    public void A_layer_with_whiteouts_and_an_opaque_directory_hides_what_is_below()
    {
        // Layer 1: busybox plus /data/{old,keep} and /etc/motd; layer 2 deletes /etc/motd, makes /data opaque
        // (so old and keep vanish) and adds /data/new.
        byte[] busybox = File.ReadAllBytes(BusyboxRootfsTarball());
        byte[] extra = ArchiveBuilder.Tar(TarSpec.Dir("data/"), TarSpec.File("data/old", "1"), TarSpec.File("data/keep", "1"), TarSpec.File("etc/motd", "hello"));
        byte[] top = ArchiveBuilder.Tar(TarSpec.File("etc/.wh.motd", ""), TarSpec.Dir("data/"), TarSpec.File("data/.wh..wh..opq", ""), TarSpec.File("data/new", "2"));
        var image = new ArchiveBuilder.Image();
        image.Layers.Add((busybox, busybox, false));
        image.Layers.Add((ArchiveBuilder.Gzip(extra), extra, true));
        image.Layers.Add((ArchiveBuilder.Gzip(top), top, true));
        string archive = Path.Combine(_h.Root, "layered.tar");
        File.WriteAllBytes(archive, ArchiveBuilder.TarOf(ArchiveBuilder.OciLayoutFiles((image, ArchiveBuilder.RefName("localhost/layered:1")))));
        var r = _h.Podshim("image", "import", archive);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("3 layers", r.Stdout);

        var run = _h.Run(Pod("layered", ("c", "localhost/layered:1", "ls /data; test -e /etc/motd && echo motd-visible; echo done")));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["new", "done"], _h.LogLines("layered", "c"));

        // The store's layer directories hold overlay whiteouts, readable by any overlay mount.
        ResolvedImage resolved = new ImageStore([Path.Combine(_h.Root, "images")]).Resolve("localhost/layered:1");
        Assert.True(BeneathDirectory.StatPath(Path.Combine(resolved.LayerDirs[2], "etc", "motd"), follow: false)!.Value.IsWhiteout);
        Assert.Equal("y"u8.ToArray(), BeneathDirectory.GetExtendedAttribute(Path.Combine(resolved.LayerDirs[2], "data"), "trusted.overlay.opaque"));
    }

    [RootFact]
    public void Ownership_and_set_id_bits_survive_the_import()
    {
        byte[] busybox = File.ReadAllBytes(BusyboxRootfsTarball());
        byte[] extra = ArchiveBuilder.Tar(
            new TarSpec("usr/local/bin/tool", System.Formats.Tar.TarEntryType.RegularFile, "#!/bin/sh\n", Mode: 0x9ED),
            new TarSpec("home/u/file", System.Formats.Tar.TarEntryType.RegularFile, "x", Uid: 1234, Gid: 5678),
            // `setcap cap_net_raw+ep`: the capability travels as a PAX xattr and must be set on the file.
            new TarSpec("usr/local/bin/ping", System.Formats.Tar.TarEntryType.RegularFile, "#!/bin/sh\n", Mode: 0b111_101_101,
                Pax: new Dictionary<string, string> { ["SCHILY.xattr.security.capability"] = System.Text.Encoding.UTF8.GetString(NetRawCapability) }),
            // ... while trusted.* (overlayfs' own attributes) must never come from a layer.
            new TarSpec("usr/local/bin/other", System.Formats.Tar.TarEntryType.RegularFile, "x",
                Pax: new Dictionary<string, string> { ["SCHILY.xattr.trusted.overlay.opaque"] = "y" }));
        var image = new ArchiveBuilder.Image();
        image.Layers.Add((busybox, busybox, false));
        image.Layers.Add((extra, extra, false));
        string archive = Path.Combine(_h.Root, "owned.tar");
        File.WriteAllBytes(archive, ArchiveBuilder.TarOf(ArchiveBuilder.DockerArchiveFiles(image, "localhost/owned:1")));
        Assert.Equal(0, _h.Podshim("image", "import", archive).ExitCode);
        var run = _h.Run(Pod("owned", ("c", "localhost/owned:1", "stat -c '%a %u %g' /usr/local/bin/tool /home/u/file")));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(["4755 0 0", "644 1234 5678"], _h.LogLines("owned", "c"));
        string top = new ImageStore([Path.Combine(_h.Root, "images")]).Resolve("localhost/owned:1").LayerDirs[1];
        Assert.Equal(NetRawCapability, BeneathDirectory.GetExtendedAttribute(Path.Combine(top, "usr", "local", "bin", "ping"), "security.capability"));
        Assert.Null(BeneathDirectory.GetExtendedAttribute(Path.Combine(top, "usr", "local", "bin", "other"), "trusted.overlay.opaque"));
    }

    /// <summary>vfs_cap_data revision 2, effective, permitted = CAP_NET_RAW (13).</summary>
    private static readonly byte[] NetRawCapability = [0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    [RootFact]
    public void A_large_import_draws_a_progress_bar_on_a_terminal_only()
    {
        // 40 MiB of random bytes (above the 32 MiB threshold) in a rootfs tarball.
        string tarball = Path.Combine(_h.Root, "big.tar");
        var random = new Random(4);
        byte[] chunk = new byte[1 << 20];
        var entries = new List<TarSpec>();
        using (var fs = File.Create(tarball))
        using (var w = new System.Formats.Tar.TarWriter(fs, System.Formats.Tar.TarEntryFormat.Pax))
        {
            for (int i = 0; i < 40; i++)
            {
                random.NextBytes(chunk);
                w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, $"data/{i}") { DataStream = new MemoryStream(chunk) });
            }
        }
        // script(1) runs the command on a pseudo-terminal.
        string podshim = PodHarness.PodshimPath;
        string output = Exec("script", "-qfec", $"{podshim} image import {tarball} --name big:1 --root {_h.Root}", "/dev/null");
        Assert.Contains("\r", output);
        Assert.Matches(@"unpacking\s+\[#{30}\] 100%\s+(40\.[0-9])/\1 MiB\s+[0-9.]+ MiB/s", output);
        Assert.Contains("Imported docker.io/library/big:1", output);

        // On a pipe: only the result line.
        var r = _h.Podshim("image", "import", tarball, "--name", "big:2");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.DoesNotContain("MiB/s", r.Stdout);
    }

    [RootFact]
    public void Ls_inspect_and_rm_on_a_root()
    {
        string tarball = BusyboxRootfsTarball();
        Assert.Equal(0, _h.Podshim("image", "import", tarball, "--name", "mine:2").ExitCode);
        var ls = _h.Podshim("image", "ls");
        Assert.Equal(0, ls.ExitCode);
        string[] lines = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("docker.io/library/mine", StringComparison.Ordinal) && l.Contains(" 2 "));
        foreach (string bundled in new[] { "busybox", "busyboxplus", "nginx", "myapp" })
            Assert.Contains(lines, l => l.StartsWith("docker.io/library/" + bundled + " ", StringComparison.Ordinal));

        var inspect = _h.Podshim("image", "inspect", "mine:2");
        Assert.Equal(0, inspect.ExitCode);
        using (JsonDocument doc = JsonDocument.Parse(inspect.Stdout))
        {
            JsonElement image = doc.RootElement[0];
            Assert.Equal("docker.io/library/mine:2", image.GetProperty("repoTags")[0].GetString());
            Assert.False(image.GetProperty("bundled").GetBoolean());
            Assert.Equal(1, image.GetProperty("layers").GetArrayLength());
        }
        using (JsonDocument doc = JsonDocument.Parse(_h.Podshim("image", "inspect", "nginx").Stdout))
            Assert.True(doc.RootElement[0].GetProperty("bundled").GetBoolean());

        var rm = _h.Podshim("image", "rm", "mine:2");
        Assert.Equal(0, rm.ExitCode);
        Assert.Equal("Deleted: docker.io/library/mine:2", rm.Stdout.Trim());
        Assert.Empty(Directory.GetDirectories(Path.Combine(_h.Root, "images", "layers", "sha256")));
        var again = _h.Podshim("image", "rm", "mine:2");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("no such image: docker.io/library/mine:2", again.Stderr);
        var bundledRm = _h.Podshim("image", "rm", "busybox");
        Assert.Equal(1, bundledRm.ExitCode);
        Assert.Contains("bundled", bundledRm.Stderr);
    }

    [RootFact]
    public void A_missing_image_waits_in_ErrImagePull_then_ImagePullBackOff_and_runs_once_imported()
    {
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: later\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 1\n" +
                      "  containers:\n  - name: c\n    image: later:v1\n    command: [\"sh\", \"-c\", \"echo ran\"]\n";
        using Process run = _h.Start(yaml);
        Task<string> stdout = run.StandardOutput.ReadToEndAsync();
        Task<string> stderr = run.StandardError.ReadToEndAsync();
        string StatusReason() =>
            File.Exists(Path.Combine(_h.PodDir("later"), "status.json"))
                ? File.ReadAllText(Path.Combine(_h.PodDir("later"), "status.json"))
                : "";
        PodHarness.WaitFor(() => StatusReason().Contains("\"reason\":\"ErrImagePull\""), "ErrImagePull", 15_000);
        Assert.Contains("podshim image import", StatusReason());
        PodHarness.WaitFor(() => StatusReason().Contains("\"reason\":\"ImagePullBackOff\""), "ImagePullBackOff", 40_000);
        Assert.Contains("Back-off pulling image \\u0022later:v1\\u0022", StatusReason().Replace("\\\"", "\\u0022"));

        Assert.Equal(0, _h.Podshim("image", "import", BusyboxRootfsTarball(), "--name", "later:v1").ExitCode);
        Assert.True(run.WaitForExit(60_000), "the pod did not run after the import");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["ran"], _h.LogLines("later", "c"));
        string rows = stdout.Result;
        int pull = rows.IndexOf("ErrImagePull", StringComparison.Ordinal);
        int backOff = rows.IndexOf("ImagePullBackOff", StringComparison.Ordinal);
        Assert.True(pull >= 0 && backOff > pull, rows);
        Assert.Contains("Completed", rows[backOff..]);
        Assert.Contains("Warning  Failed  container \"c\": Failed to pull image \"later:v1\"", stderr.Result);
    }
}
