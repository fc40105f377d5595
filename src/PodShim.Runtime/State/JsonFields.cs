using System.Text.Json;

namespace PodShim.Runtime.State;

/// <summary>Optional fields of the runtime's hand-written JSON state files (status, checkpoint, services).</summary>
internal static class JsonFields
{
    /// <summary>The string property <paramref name="name"/>, or null when it is missing or not a string.</summary>
    public static string? OptionalString(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
