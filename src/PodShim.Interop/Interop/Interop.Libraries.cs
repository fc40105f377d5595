namespace PodShim.Interop;

internal static partial class Interop
{
    internal static class Libraries
    {
        /// <summary>Our native core (bin/libpodshim.so), resolved by <see cref="NativeLibraryResolver"/>.</summary>
        internal const string PodShim = "libpodshim";
        internal const string Libc = "libc";
    }
}
