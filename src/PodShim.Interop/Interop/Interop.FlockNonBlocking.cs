namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>flock(2)'s LOCK_NB: fail with EWOULDBLOCK (EAGAIN) instead of waiting.</summary>
    internal const int LOCK_NB = 4;
}
