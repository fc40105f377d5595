using System.Text;
using PodShim.Interop;

namespace PodShim.Runtime.Probes;

/// <summary>An exec probe as the kubelet runs it: the command runs in the container (ps_exec, through
/// <see cref="ExecRunner"/>) with stdout and stderr captured together up to 10 KiB; exit 0 is success, any other
/// exit (or death by a signal) is failure with the output as the message; a timeout kills the command and is a
/// failure ("command \"…\" timed out"). A command that cannot be exec'd (not found, not executable) is a failure
/// too, as a CRI runtime reports it as exit 126/127 with its error text.</summary>
/// <remarks>Error (not counted by the probe thresholds) only when the probe cannot run at all: the container has no
/// running process (the request factory returns null), or entering it fails (ps_exec itself fails).
/// The request's pidfd belongs to the container: it is not disposed here.</remarks>
public sealed class ExecProber
{
    public const int MaxOutputBytes = 10 * 1024;

    private readonly Func<ExecRequest?> _request;
    private readonly Func<ExecRequest, TimeSpan, ExecOutcome> _runner;

    public ExecProber(Func<ExecRequest?> request)
        : this(request, static (r, timeout) => ExecRunner.Run(r, timeout, MaxOutputBytes))
    {
    }

    /// <summary>The seam for unit tests: a runner standing in for <see cref="ExecRunner.Run"/>.</summary>
    internal ExecProber(Func<ExecRequest?> request, Func<ExecRequest, TimeSpan, ExecOutcome> runner)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(runner);
        _request = request;
        _runner = runner;
    }

    public ProbeResult Probe(TimeSpan timeout)
    {
        ExecRequest? request;
        try
        {
            request = _request();
        }
        catch (InvalidOperationException e)       // ContainerInstance.ExecRequest: the container has no process
        {
            return new ProbeResult(ProbeOutcome.Error, e.Message);
        }
        if (request is null)
            return new ProbeResult(ProbeOutcome.Error, "container is not running");

        ExecOutcome outcome;
        try
        {
            outcome = _runner(request, timeout);
        }
        catch (SpawnException e)
        {
            return new ProbeResult(ProbeOutcome.Failure, e.Message);
        }
        catch (NativeException e)
        {
            return new ProbeResult(ProbeOutcome.Error, e.Message);
        }
        return Map(request.Argv, outcome);
    }

    internal static ProbeResult Map(IReadOnlyList<string> argv, ExecOutcome outcome)
    {
        if (outcome.TimedOut)
            return new ProbeResult(ProbeOutcome.Failure, $"command \"{string.Join(' ', argv)}\" timed out");
        string output = Output(outcome.Output);
        return outcome.ExitCode == 0 && outcome.Signal == 0
            ? new ProbeResult(ProbeOutcome.Success, output)
            : new ProbeResult(ProbeOutcome.Failure, output);
    }

    /// <summary>The captured output as text: at most 10 KiB, a UTF-8 sequence cut by the cap dropped rather than
    /// turned into U+FFFD.</summary>
    internal static string Output(byte[] bytes)
    {
        ReadOnlySpan<byte> span = bytes.AsSpan(0, Math.Min(bytes.Length, MaxOutputBytes));
        if (span.Length == MaxOutputBytes)
        {
            // Drop an incomplete trailing sequence (at most 3 bytes) left by the cut.
            int i = span.Length - 1, back = 0;
            while (i >= 0 && back < 3 && (span[i] & 0xC0) == 0x80)
            {
                i--;
                back++;
            }
            if (i >= 0 && span[i] >= 0xC0)
            {
                int need = span[i] >= 0xF0 ? 4 : span[i] >= 0xE0 ? 3 : 2;
                if (span.Length - i < need)
                    span = span[..i];
            }
        }
        return Encoding.UTF8.GetString(span);
    }
}
