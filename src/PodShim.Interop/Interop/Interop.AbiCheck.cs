using System.Runtime.InteropServices;

namespace PodShim.Interop;

internal static partial class Interop
{
    [LibraryImport(Libraries.PodShim, EntryPoint = "ps_abi_check")]
    internal static partial int AbiCheck(int spawnSpecSize, int mountSize, int holderSpecSize, int execSpecSize);
}
