using System.Globalization;
using PodShim.Manifest;

namespace PodShim.Runtime.Volumes;

/// <summary>What the kubelet knows about its node that volumes need: memory (tmpfs sizes) and allocatable resources (downward API).</summary>
public sealed record NodeInfo(string Name, long MemoryBytes, int Cpus)
{
    /// <summary>This host: its name, MemTotal from <paramref name="meminfoPath"/>, its CPU count.</summary>
    public static NodeInfo Host(string meminfoPath = "/proc/meminfo") =>
        new(Environment.MachineName, ReadMemTotal(meminfoPath), Environment.ProcessorCount);

    internal static long ReadMemTotal(string meminfoPath)
    {
        foreach (string line in File.ReadLines(meminfoPath))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal))
                continue;
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
                return kib * 1024;
        }
        throw new InvalidDataException($"{meminfoPath} has no MemTotal line");
    }

    /// <summary>The downward API's view of the node: its name and allocatable cpu and memory (used for unset limits).</summary>
    public DownwardContext Downward() => new()
    {
        NodeName = Name,
        NodeAllocatable = new Dictionary<string, Quantity>(StringComparer.Ordinal)
        {
            ["cpu"] = Quantity.FromInt64(Cpus),
            ["memory"] = Quantity.FromInt64(MemoryBytes, QuantityFormat.BinarySI),
        },
    };
}
