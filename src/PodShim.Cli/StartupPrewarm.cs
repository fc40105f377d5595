using System.Security.Cryptography;
using System.Text.Json;
using PodShim.Interop;
using PodShim.Manifest;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;

namespace PodShim.Cli;

/// <summary>
/// A verb that starts a pod spends its first tens of milliseconds on one core reading arguments and
/// YAML while the other core idles. This does the one-time loading the later steps pay for anyway
/// on a second thread at the same time, in the order the main thread will need it: the YAML reader,
/// the pod model, its validation and its record (a small pod read, validated and serialized: most of
/// their first-use cost is loading types, not parsing), libpodshim.so and its ABI check, the JSON reader and writer (image
/// store, status.json), OpenSSL for image digests. Nothing it does is observable: a failure here is
/// simply met again, and reported, where the real work happens.
/// </summary>
internal static class StartupPrewarm
{
    public static void Begin()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "prewarm" };
        thread.Start();
    }

    // Touches what most pods have: an init container, a command, resources, an emptyDir, env.
    private const string WarmPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: prewarm
          labels: {app: prewarm}
        spec:
          initContainers:
          - name: init
            image: busybox
            command: ["sh", "-c", "true"]
          containers:
          - name: app
            image: busybox:1.28
            args: ['a']
            env:
            - name: A
              value: "b"
            resources:
              limits: {cpu: 100m, memory: 64Mi}
            volumeMounts:
            - name: data
              mountPath: /data
          volumes:
          - name: data
            emptyDir: {}
        """;

    private static void Run()
    {
        try
        {
            foreach (Pod pod in ManifestLoader.LoadText(WarmPod, "prewarm").OfType<Pod>())
            {
                PodValidation.Validate(pod);
                PodRecord.For(pod, DateTimeOffset.UtcNow, "prewarm").Serialize();
            }
            ContainerSpawner.EnsureAbi();
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(ReadOnlySpan<byte>.Empty, digest);
            using (JsonDocument.Parse("{\"a\":[\"b\",1]}"u8.ToArray()))
            {
            }
            using var writer = new Utf8JsonWriter(Stream.Null);
            writer.WriteStartObject();
            writer.WriteString("a", "b");
            writer.WriteEndObject();
            PodStatusJson.Serialize(new PodStatusInfo { Phase = "Pending", StartTime = DateTimeOffset.UtcNow });
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException
                                      or CryptographicException or IOException or ManifestException)
        {
            // Met again (and reported) by the step that needs it.
        }
    }
}
