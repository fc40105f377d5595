using System.CommandLine;
using System.Globalization;
using PodShim.Cli.Support;
using PodShim.Runtime.State;

namespace PodShim.Cli.Commands;

/// <summary>
/// `podshim recover`: every pod whose supervisor was killed (its pid gone, or taken by another process) gets a new
/// one, which adopts the holder and the running containers and goes on from the pod's checkpoint. Every other
/// podshim command does the same first; this one only does that, and says what it did.
/// </summary>
internal static class RecoverCommand
{
    public static Command Create()
    {
        var command = new Command("recover", "Restart the supervisors of pods whose supervisor was killed.");
        command.SetAction(result => CommandGuard.Run(result, () =>
        {
            CommandGuard.RequireRoot("recover");
            StateLayout layout = GlobalOptions.Layout(result);
            var started = SupervisorProcess.RecoverStale(layout);
            foreach (Restarted r in started)
                Console.WriteLine($"pod/{r.Name} recovered (namespace {r.Namespace}, supervisor pid {r.Pid.ToString(CultureInfo.InvariantCulture)})");
            if (started.Count == 0)
                Console.WriteLine("no pod needed recovery");
            return 0;
        }));
        return command;
    }
}
