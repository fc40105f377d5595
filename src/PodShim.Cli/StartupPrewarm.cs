using System.Security.Cryptography;
using System.Text.Json;
using PodShim.Interop;

namespace PodShim.Cli;

/// <summary>
/// A verb that starts a pod spends its first tens of milliseconds on one core reading arguments and
/// YAML while the other core idles. This does the one-time loading the later steps pay for anyway
/// (libpodshim.so and its ABI check, OpenSSL for image digests, the JSON reader and writer for the
/// image store and status.json) on a second thread at the same time. Nothing it does is observable:
/// a failure here is simply met again, and reported, where the real work happens.
/// </summary>
internal static class StartupPrewarm
{
    public static void Begin()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "prewarm" };
        thread.Start();
    }

    private static void Run()
    {
        try
        {
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
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException
                                      or CryptographicException or IOException)
        {
            // Met again (and reported) by the step that needs it.
        }
    }
}
