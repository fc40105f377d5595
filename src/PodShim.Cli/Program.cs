using System.CommandLine;
using PodShim.Cli.Commands;

namespace PodShim.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        PodShim.Runtime.State.StartupTrace.Mark("main");
        if (args.Length > 0 && args[0] == "run")
            StartupPrewarm.Begin();
        var root = new RootCommand("podshim: run Kubernetes Pods on this host, as the kubelet would.");
        root.Options.Add(GlobalOptions.Root);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(DeleteCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ImageCommand.Create());
        PodShim.Runtime.State.StartupTrace.Mark("commands built");
        ParseResult parsed = root.Parse(args);
        PodShim.Runtime.State.StartupTrace.Mark("arguments parsed");
        return parsed.Invoke();
    }
}
