using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    /// <summary>ps_socket_in_netns: returns the new fd or -errno.</summary>
    [LibraryImport(Libraries.PodShim, EntryPoint = "ps_socket_in_netns")]
    internal static partial int SocketInNetns(SafeFdHandle pidfd, int domain, int type, int protocol);
}
