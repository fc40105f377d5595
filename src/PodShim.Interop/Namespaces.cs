namespace PodShim.Interop;

/// <summary>CLONE_NEW* flags.</summary>
public static class Namespaces
{
    public const int Mount = 0x00020000, Uts = 0x04000000, Ipc = 0x08000000, Pid = 0x20000000, Network = 0x40000000,
        Cgroup = 0x02000000, User = 0x10000000;
}
