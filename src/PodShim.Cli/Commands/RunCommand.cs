using System.CommandLine;
using System.Runtime.InteropServices;
using PodShim.Interop;
using PodShim.Interop.Syscalls;
using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.Runtime.Pods;

namespace PodShim.Cli.Commands;

/// <summary>`podshim run -f pod.yaml`: runs one pod in the foreground until its containers end or Ctrl-C.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--filename", "-f") { Description = "Pod manifest (YAML or JSON)", Required = true };
        var command = new Command("run", "Run a pod in the foreground; Ctrl-C terminates it gracefully.") { file };
        command.SetAction(result => Run(result, result.GetValue(file)!));
        return command;
    }

    private static int Run(ParseResult result, string file)
    {
        try
        {
            if (!Posix.IsRoot)
                throw new PodRunException("podshim run must be run as root");
            string text = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            var pods = ManifestLoader.LoadText(text, file).OfType<Pod>().ToList();
            if (pods.Count != 1)
                throw new PodRunException($"{file}: run takes exactly one Pod, found {pods.Count}");

            // Nothing in a pod may open this process's /proc/<pid>/exe or memory while its children enter it.
            Posix.SetNonDumpable();
            using var terminate = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
            void Cancel(PosixSignalContext context)
            {
                context.Cancel = true;
                terminate.Cancel();
            }

            var runner = new ForegroundPodRunner(GlobalOptions.Layout(result), NativeLibraryResolver.BinDirectory,
                LinuxSyscalls.Instance, Console.Out, Console.Error);
            return runner.Run(pods[0], text, terminate.Token);
        }
        catch (Exception e) when (e is ManifestException or PodInvalidException or ImageNotFoundException or PodRunException
                                      or NativeException or SpawnException or ContainerConfigException or IOException or UnauthorizedAccessException
                                      or InvalidOperationException)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
    }
}
