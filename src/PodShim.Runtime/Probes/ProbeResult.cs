namespace PodShim.Runtime.Probes;

/// <summary>What one probe run found. Error means it could not run at all: the kubelet does not count it.</summary>
public enum ProbeOutcome { Success, Failure, Error }

/// <summary>One probe's result; Warning marks a success that deserves a ProbeWarning event (off-host redirect, final 3xx).</summary>
public readonly record struct ProbeResult(ProbeOutcome Outcome, string Message = "", bool Warning = false);
