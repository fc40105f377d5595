using System.CommandLine;
using PodShim.Cli.Commands;

namespace PodShim.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        PodShim.Runtime.State.StartupTrace.Mark("main");
        StartJitProfile(args);
        PodShim.Runtime.State.StartupTrace.Mark("jit profile started");
        var root = new RootCommand("podshim: run Kubernetes Pods on this host, as the kubelet would.");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Debug);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(DeleteCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ApplyCommand.Create());
        root.Subcommands.Add(GetCommand.Create());
        root.Subcommands.Add(DescribeCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(RecoverCommand.Create());
        root.Subcommands.Add(SuperviseCommand.Create());
        PodShim.Runtime.State.StartupTrace.Mark("commands built");
        ParseResult parsed = root.Parse(args);
        PodShim.Runtime.State.StartupTrace.Mark("arguments parsed");
        // A failure is one line, as kubectl prints it; its stack trace only with --debug.
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Support.CommandGuard.Report(e, parsed.GetValue(GlobalOptions.Debug));
        }
    }

    /// <summary>
    /// Multi-core JIT: what the last run of this verb compiled is compiled again ahead of need on
    /// another core (the profile lives beside the binary, one per verb). ReadyToRun covers most code;
    /// this covers the generic instantiations it cannot.
    /// </summary>
    private static void StartJitProfile(string[] args)
    {
        string verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "root";
        try
        {
            System.Runtime.ProfileOptimization.SetProfileRoot(Path.Combine(AppContext.BaseDirectory, ".jit"));
            Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, ".jit"));
            System.Runtime.ProfileOptimization.StartProfile(verb + ".profile");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a start-up optimisation: a read-only install runs without it.
        }
    }
}
