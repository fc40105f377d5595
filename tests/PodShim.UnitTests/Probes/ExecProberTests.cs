using System.Text;
using PodShim.Interop;
using PodShim.Runtime.Probes;

namespace PodShim.UnitTests.Probes;

public class ExecProberTests
{
    private static ExecRequest Request(params string[] argv) => new()
    {
        TargetPidfd = new SafeFdHandle(-1, ownsHandle: false),
        Argv = argv,
        Env = [],
    };

    private static ExecProber Prober(ExecOutcome outcome, params string[] argv) =>
        new(() => Request(argv), (_, _) => outcome);

    private static ExecOutcome Exit(int code, string output = "", int signal = 0, bool timedOut = false) =>
        new(code, signal, timedOut, Encoding.UTF8.GetBytes(output), false);

    [Fact]
    public void Exit0_IsSuccess_WithTheOutput()
    {
        ProbeResult r = Prober(Exit(0, "ok\n"), "cat", "/tmp/healthy").Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(new ProbeResult(ProbeOutcome.Success, "ok\n"), r);
    }

    [Fact]
    public void NonZeroExit_IsFailure_WithTheOutput()
    {
        ProbeResult r = Prober(Exit(1, "cat: can't open '/tmp/healthy': No such file or directory\n"), "cat", "/tmp/healthy").Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Failure, r.Outcome);
        Assert.Equal("cat: can't open '/tmp/healthy': No such file or directory\n", r.Message);
        Assert.False(r.Warning);
    }

    [Fact]
    public void DeathBySignal_IsFailure()
    {
        Assert.Equal(ProbeOutcome.Failure, Prober(Exit(0, signal: 9), "sh").Probe(TimeSpan.FromSeconds(1)).Outcome);
        Assert.Equal(ProbeOutcome.Failure, Prober(Exit(137), "sh").Probe(TimeSpan.FromSeconds(1)).Outcome);
    }

    [Fact]
    public void Timeout_IsFailure_CommandTimedOut()
    {
        ProbeResult r = Prober(Exit(-1, "partial", signal: 9, timedOut: true), "sh", "-c", "sleep 10").Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "command \"sh -c sleep 10\" timed out"), r);
    }

    [Fact]
    public void TheTimeoutIsPassedToTheRunner()
    {
        TimeSpan seen = default;
        var prober = new ExecProber(() => Request("true"), (_, t) => { seen = t; return Exit(0); });
        prober.Probe(TimeSpan.FromMilliseconds(2500));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), seen);
    }

    [Fact]
    public void SpawnException_IsFailure_WithItsMessage()
    {
        var prober = new ExecProber(() => Request("nope"),
            (_, _) => throw new SpawnException(SpawnStep.Exec, Errno.ENOENT, "exec: \"nope\": executable file not found in $PATH"));
        Assert.Equal(new ProbeResult(ProbeOutcome.Failure, "exec: \"nope\": executable file not found in $PATH"), prober.Probe(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void NoRunningContainer_IsError_AndTheRunnerIsNotCalled()
    {
        bool ran = false;
        var prober = new ExecProber(() => null, (_, _) => { ran = true; return Exit(0); });
        ProbeResult r = prober.Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Error, r.Outcome);
        Assert.False(ran);

        var noProcess = new ExecProber(() => throw new InvalidOperationException("container \"app\" has no process"), (_, _) => Exit(0));
        Assert.Equal(new ProbeResult(ProbeOutcome.Error, "container \"app\" has no process"), noProcess.Probe(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void PsExecItselfFailing_IsError()
    {
        var prober = new ExecProber(() => Request("true"), (_, _) => throw new NativeException("ps_exec", "true", 3));
        ProbeResult r = prober.Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ProbeOutcome.Error, r.Outcome);
        Assert.Contains("ps_exec", r.Message);
    }

    [Fact]
    public void Output_IsCappedAt10KiB_WithoutAHalfCharacter()
    {
        // 10 KiB - 1 ASCII bytes, then a 2-byte 'é' cut in half by the cap.
        byte[] bytes = [.. Enumerable.Repeat((byte)'a', ExecProber.MaxOutputBytes - 1), 0xC3, 0xA9, .. "more"u8];
        ProbeResult r = Prober(new ExecOutcome(1, 0, false, bytes, true), "sh").Probe(TimeSpan.FromSeconds(1));
        Assert.Equal(ExecProber.MaxOutputBytes - 1, r.Message.Length);
        Assert.DoesNotContain('\uFFFD', r.Message);

        byte[] exact = [.. Enumerable.Repeat((byte)'a', ExecProber.MaxOutputBytes - 2), 0xC3, 0xA9];
        Assert.EndsWith("aé", ExecProber.Output(exact));
    }

    [Fact]
    public void InvalidUtf8_IsKeptAsReplacementCharacters()
    {
        Assert.Equal("a\uFFFDb", ExecProber.Output([(byte)'a', 0xFF, (byte)'b']));
    }
}
