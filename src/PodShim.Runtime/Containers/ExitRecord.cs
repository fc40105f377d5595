using System.Text.Json;

namespace PodShim.Runtime.Containers;

/// <summary>What a keeper wrote to exit.json when its container ended.</summary>
public sealed record ExitRecord(int Pid, bool Started, int ExitCode, int Signal, DateTimeOffset? StartedAt, DateTimeOffset FinishedAt, bool OomKilled)
{
    public static ExitRecord Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement e = doc.RootElement;
        return new ExitRecord(
            e.GetProperty("pid").GetInt32(),
            e.GetProperty("started").GetBoolean(),
            e.GetProperty("exitCode").GetInt32(),
            e.GetProperty("signal").GetInt32(),
            e.GetProperty("startedAt").ValueKind == JsonValueKind.Null ? null : DateTimeOffset.Parse(e.GetProperty("startedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(e.GetProperty("finishedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            e.GetProperty("oomKilled").GetBoolean());
    }

    /// <summary>Reads exit.json if the keeper has written it.</summary>
    public static ExitRecord? TryRead(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
}
