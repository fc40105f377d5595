using System.Runtime.InteropServices;

namespace PodShim.Runtime.Probes;

/// <summary>The texts Go's syscall.Errno prints for an errno (lowercase strerror), as the kubelet's probe messages
/// carry them: "dial tcp 10.0.0.1:80: connect: connection refused".</summary>
internal static class GoErrno
{
    public const int ECONNREFUSED = 111;

    public static string Text(int errno) => errno switch
    {
        1 => "operation not permitted",
        13 => "permission denied",
        24 => "too many open files",
        32 => "broken pipe",
        97 => "address family not supported by protocol",
        98 => "address already in use",
        99 => "cannot assign requested address",
        101 => "network is unreachable",
        104 => "connection reset by peer",
        110 => "connection timed out",
        ECONNREFUSED => "connection refused",
        113 => "no route to host",
        _ => LowerFirst(Marshal.GetPInvokeErrorMessage(errno)),
    };

    private static string LowerFirst(string s) => s.Length == 0 ? s : char.ToLowerInvariant(s[0]) + s[1..];
}
