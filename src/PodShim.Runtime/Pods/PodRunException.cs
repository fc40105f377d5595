namespace PodShim.Runtime.Pods;

/// <summary>A pod command that cannot go on, with a one-line reason for the user.</summary>
public sealed class PodRunException(string message, Exception? inner = null) : Exception(message, inner);
