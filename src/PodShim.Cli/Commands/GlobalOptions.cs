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

    /// <summary>Errors print their stack trace too.</summary>
    public static readonly Option<bool> Debug = new("--debug")
    {
        Description = "Print the stack trace of an error as well as its message",
        Recursive = true,
    };

    public static StateLayout Layout(ParseResult result) => new(StateLayout.ResolveRoot(result.GetValue(Root)));

    /// <summary>-n/--namespace as kubectl has it, "default" when not given.</summary>
    public static Option<string> Namespace() => new("--namespace", "-n")
    {
        Description = "The namespace",
        DefaultValueFactory = _ => "default",
    };
}
