using System.CommandLine;
using PodShim.Cli.Commands;

namespace PodShim.Cli;

public static class Program
{
    /// <summary>Every verb, one file each under Commands/, in the order `podshim --help` lists them.</summary>
    private static readonly (string Name, Func<Command> Create)[] s_verbs =
    [
        ("run", RunCommand.Create),
        ("delete", DeleteCommand.Create),
        ("version", VersionCommand.Create),
        ("image", ImageCommand.Create),
        ("apply", ApplyCommand.Create),
        ("get", GetCommand.Create),
        ("describe", DescribeCommand.Create),
        ("logs", LogsCommand.Create),
        ("exec", ExecCommand.Create),
        ("recover", RecoverCommand.Create),
        ("supervise", SuperviseCommand.Create),
    ];

    public static int Main(string[] args)
    {
        PodShim.Runtime.State.StartupTrace.Mark("main");
        string? verb = VerbOf(args);
        if (verb == "run")
            StartupPrewarm.Begin();
        var root = new RootCommand("podshim: run Kubernetes Pods on this host, as the kubelet would.");
        root.Options.Add(GlobalOptions.Root);
        root.Options.Add(GlobalOptions.Debug);
        // Building a verb's options costs start-up time (a pod's start is measured from the CLI's): when the
        // command line names a verb, only that one is built; parsing, errors and its help are the same.
        foreach ((string name, Func<Command> create) in s_verbs)
            if (verb is null || verb == name)
                root.Subcommands.Add(create());
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
    /// The verb the command line names, after the global options (--root VALUE, --root=VALUE, --debug);
    /// null when it names none of ours (help, an unknown word, a response file): then all are built.
    /// </summary>
    internal static string? VerbOf(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == GlobalOptions.Debug.Name)
                continue;
            if (arg == GlobalOptions.Root.Name)
            {
                i++;
                continue;
            }
            if (arg.StartsWith(GlobalOptions.Root.Name + "=", StringComparison.Ordinal) || arg.StartsWith(GlobalOptions.Root.Name + ":", StringComparison.Ordinal))
                continue;
            foreach ((string name, _) in s_verbs)
                if (arg == name)
                    return name;
            return null;
        }
        return null;
    }
}
