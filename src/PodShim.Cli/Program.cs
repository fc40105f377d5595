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
        root.Options.Add(GlobalOptions.Debug);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(DeleteCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ImageCommand.Create());
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
}
