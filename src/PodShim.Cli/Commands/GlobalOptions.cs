using System.CommandLine;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

internal static class GlobalOptions
{
    public static readonly Option<string?> Root = new("--root")
    {
        Description = $"State directory (env {StateLayout.RootVariable}, default {StateLayout.DefaultRootPath})",
        Recursive = true,
    };

    public static StateLayout Layout(ParseResult result) => new(StateLayout.ResolveRoot(result.GetValue(Root)));
}
