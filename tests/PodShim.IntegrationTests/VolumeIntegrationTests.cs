using System.Diagnostics;
using System.Text.Json;

namespace PodShim.IntegrationTests;

/// <summary>The pod's volumes in real containers: emptyDir (disk and memory), hostPath, downward API, runtime files, races.</summary>
public sealed class VolumeIntegrationTests : IDisposable
{
    private readonly PodHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static string Header(string name, string restartPolicy = "Never") =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: shop\nspec:\n  restartPolicy: {restartPolicy}\n  terminationGracePeriodSeconds: 1\n";

    private JsonElement Status(string pod)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_h.PodDir(pod), "status.json")));
        return doc.RootElement.Clone();
    }

    [RootFact]
    public void A_memory_emptyDir_is_shared_by_the_pods_containers_and_full_at_its_size()
    {
        string yaml = Header("mem") + """
              containers:
              - name: writer
                image: busybox
                command: ['sh', '-c', 'echo from-writer > /mem/marker; dd if=/dev/zero of=/mem/big bs=1M count=8 2>&1 | grep -o "No space left on device" | head -1; touch /mem/done; df -k /mem | tail -1 | awk "{print \$2}"']
                volumeMounts:
                - name: mem
                  mountPath: /mem
              - name: reader
                image: busybox
                command: ['sh', '-c', 'for i in $(seq 100); do [ -f /mem/done ] && break; sleep 0.1; done; cat /mem/marker; ls -l /mem/big | awk "{print \$5}"']
                volumeMounts:
                - name: mem
                  mountPath: /mem
              volumes:
              - name: mem
                emptyDir:
                  medium: Memory
                  sizeLimit: 4Mi
            """;
        var r = _h.Run(yaml);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["No space left on device", "4096"], _h.LogLines("mem", "writer"));
        string[] reader = _h.LogLines("mem", "reader");
        Assert.Equal("from-writer", reader[0]);
        // The file filled what the marker left of the 4 MiB.
        Assert.InRange(long.Parse(reader[1], System.Globalization.CultureInfo.InvariantCulture), (4 << 20) - (64 << 10), 4 << 20);
    }

    [RootFact]
    public void An_emptyDir_over_its_sizeLimit_evicts_the_pod_with_the_kubelets_message()
    {
        string yaml = Header("hog", "Always") + """
              containers:
              - name: hog
                image: busybox
                command: ['sh', '-c', 'dd if=/dev/urandom of=/cache/blob bs=1k count=2048 2>/dev/null; exec sleep 600']
                volumeMounts:
                - name: cache
                  mountPath: /cache
              volumes:
              - name: cache
                emptyDir:
                  sizeLimit: 1Mi
            """;
        var sw = Stopwatch.StartNew();
        var r = _h.Run(yaml, timeoutMs: 60_000);
        Assert.Equal(1, r.ExitCode);
        // Checked every 10 s, then a 2 s kill: well before a minute even on a busy machine.
        Assert.InRange(sw.Elapsed.TotalSeconds, 1, 45);
        JsonElement status = Status("hog");
        Assert.Equal("Failed", status.GetProperty("phase").GetString());
        Assert.Equal("Evicted", status.GetProperty("reason").GetString());
        Assert.Equal("Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\". ", status.GetProperty("message").GetString());
        Assert.Contains("Warning  Evicted  Usage of EmptyDir volume \"cache\" exceeds the limit \"1Mi\".", r.Stderr);
    }

    [RootFact]
    public void HostPath_types_readOnly_and_subPath()
    {
        string host = Path.Combine(_h.Root, "host");
        Directory.CreateDirectory(Path.Combine(host, "data", "sub"));
        File.WriteAllText(Path.Combine(host, "app.conf"), "setting=1\n");
        File.WriteAllText(Path.Combine(host, "data", "sub", "inner"), "in-sub\n");
        string created = Path.Combine(host, "made", "by", "kubelet");
        string yaml = Header("hp") + $"""
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'echo written > /made/file; cat /etc/app.conf; echo x >> /etc/app.conf 2>/dev/null || echo read-only; cat /sub/inner; ls /data']
                volumeMounts:
                - name: made
                  mountPath: /made
                - name: conf
                  mountPath: /etc/app.conf
                  readOnly: true
                - name: data
                  mountPath: /sub
                  subPath: sub
                - name: data
                  mountPath: /data
              volumes:
              - name: made
                hostPath:
                  path: {created}
                  type: DirectoryOrCreate
              - name: conf
                hostPath:
                  path: {Path.Combine(host, "app.conf")}
                  type: File
              - name: data
                hostPath:
                  path: {Path.Combine(host, "data")}
                  type: Directory
            """;
        var r = _h.Run(yaml);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["setting=1", "read-only", "in-sub", "sub"], _h.LogLines("hp", "c"));
        Assert.Equal("written\n", File.ReadAllText(Path.Combine(created, "file")));
        Assert.Equal("setting=1\n", File.ReadAllText(Path.Combine(host, "app.conf")));
    }

    [RootFact]
    public void A_failed_hostPath_check_keeps_the_pod_waiting_with_FailedMount()
    {
        string missing = Path.Combine(_h.Root, "no-such-dir");
        string yaml = Header("fm") + $"""
              containers:
              - name: c
                image: busybox
                command: ['true']
                volumeMounts:
                - name: v
                  mountPath: /v
              volumes:
              - name: v
                hostPath:
                  path: {missing}
                  type: Directory
            """;
        var r = _h.Run(yaml, extraArgs: ["--timeout", "3s"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"Warning  FailedMount  MountVolume.SetUp failed for volume \"v\" : hostPath type check failed: {missing} is not a directory", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_h.PodDir("fm"), "containers")), "no container may start");
        Assert.False(Directory.Exists(missing));
        Assert.Equal("Pending", Status("fm").GetProperty("phase").GetString());
    }

    [RootFact]
    public void DownwardAPI_and_projected_volumes_are_read_only_files_of_the_pods_fields()
    {
        string yaml = Header("dw") + """
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'cat /podinfo/labels; echo; cat /podinfo/name; echo; cat /projected/info/ns; echo; cat /projected/mem; echo; touch /podinfo/x 2>/dev/null || echo ro; grep -c " /projected " /proc/self/mountinfo']
                resources:
                  limits:
                    memory: 64Mi
                volumeMounts:
                - name: podinfo
                  mountPath: /podinfo
                - name: projected
                  mountPath: /projected
              volumes:
              - name: podinfo
                downwardAPI:
                  items:
                  - path: labels
                    fieldRef:
                      fieldPath: metadata.labels
                  - path: name
                    fieldRef:
                      fieldPath: metadata.name
              - name: projected
                projected:
                  sources:
                  - downwardAPI:
                      items:
                      - path: info/ns
                        fieldRef:
                          fieldPath: metadata.namespace
                      - path: mem
                        resourceFieldRef:
                          containerName: c
                          resource: limits.memory
                          divisor: 1Mi
            """;
        var r = _h.Run(yaml);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["app=\"shop\"", "dw", "default", "64", "ro", "1"], _h.LogLines("dw", "c"));
    }

    [RootFact]
    public void Etc_hosts_and_hostname_are_bind_mounts_and_the_service_account_is_read_only()
    {
        string yaml = Header("files") + """
              containers:
              - name: c
                image: busybox
                command: ['sh', '-c', 'grep -cE " /etc/(hosts|hostname) " /proc/self/mountinfo; tail -1 /etc/hosts; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; touch /var/run/secrets/kubernetes.io/serviceaccount/x 2>/dev/null || echo ro']
            """;
        var r = _h.Run(yaml);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["2", "127.0.1.1\tfiles", "default", "podshim-no-api-server.this-is-not-a-credential", "ro"], _h.LogLines("files", "c"));
    }

    [RootFact]
    public void A_subPath_through_a_symlink_out_of_the_volume_is_refused()
    {
        string outside = Path.Combine(_h.Root, "outside");
        Directory.CreateDirectory(outside);
        string yaml = Header("sp") + $"""
              initContainers:
              - name: plant
                image: busybox
                command: ['ln', '-s', '{outside}', '/vol/escape']
                volumeMounts:
                - name: vol
                  mountPath: /vol
              containers:
              - name: victim
                image: busybox
                command: ['sh', '-c', 'echo pwned > /logs/file']
                volumeMounts:
                - name: vol
                  mountPath: /logs
                  subPath: escape
              volumes:
              - name: vol
                emptyDir:
                  medium: ""
            """;
        var r = _h.Run(yaml, extraArgs: ["--timeout", "4s"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("outside the volume", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
        Assert.Contains("CreateContainerConfigError", File.ReadAllText(Path.Combine(_h.PodDir("sp"), "status.json")));
    }

    [RootFact]
    public void A_symlink_swapped_in_a_shared_volume_never_sends_a_mount_outside_the_rootfs()
    {
        // One container flips /shared/d between a directory and a symlink to a host directory for 8 s
        // while ten others start, each mounting another volume at /shared/d/t/m. Mount targets are
        // resolved in the container's root (openat2 RESOLVE_IN_ROOT): a start may fail (the path
        // vanished mid-walk) but no mount may ever land in the host directory.
        string hostDir = Path.Combine(_h.Root, "host-target");
        Directory.CreateDirectory(hostDir);
        var yaml = new System.Text.StringBuilder(Header("race") + "  containers:\n");
        yaml.Append($"""
              - name: swapper
                image: busybox
                command: ['sh', '-c', 'mkdir -p /shared/d/t; end=$$(($$(date +%s)+8)); while [ $$(date +%s) -lt $$end ]; do mv /shared/d /shared/d.real 2>/dev/null; ln -s {hostDir} /shared/d 2>/dev/null; rm -f /shared/d 2>/dev/null; mv /shared/d.real /shared/d 2>/dev/null; done']
                volumeMounts:
                - name: shared
                  mountPath: /shared

            """);
        for (int i = 0; i < 10; i++)
        {
            yaml.Append($"""
                  - name: racer-{i}
                    image: busybox
                    command: ['sh', '-c', 'touch /shared/d/t/m/marker-{i} 2>/dev/null; true']
                    volumeMounts:
                    - name: shared
                      mountPath: /shared
                    - name: other
                      mountPath: /shared/d/t/m

                """);
        }
        yaml.Append("""
              volumes:
              - name: shared
                emptyDir: {}
              - name: other
                emptyDir: {}
            """);
        _h.Run(yaml.ToString(), timeoutMs: 120_000);
        Assert.Empty(Directory.GetFileSystemEntries(hostDir));
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(hostDir, StringComparison.Ordinal));
        // The race was run: racers started (and mounted) while the swapper flipped the path.
        int started = Enumerable.Range(0, 10).Count(i => File.Exists(Path.Combine(_h.AttemptDir("race", $"racer-{i}"), "container.pid")));
        Assert.True(started > 0, "no racer started");
        Assert.Equal(0, _h.Exit("race", "swapper").ExitCode);
    }
}
