using System.Text.RegularExpressions;

namespace PodShim.Manifest;

/// <summary>Docker image references (github.com/distribution/reference grammar), enough to find the tag.</summary>
public static partial class ImageReference
{
    private const string Alnum = "[a-z0-9]+";
    private const string Separator = "(?:[._]|__|[-]+)";
    private const string PathComponent = Alnum + "(?:" + Separator + Alnum + ")*";
    private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private const string Domain = "(?:" + DomainComponent + "(?:\\." + DomainComponent + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?";
    private const string Tag = "[\\w][\\w.-]{0,127}";
    private const string Digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

    [GeneratedRegex("^(?<name>(?:" + Domain + "/)?" + PathComponent + "(?:/" + PathComponent + ")*)(?::(?<tag>" + Tag + "))?(?:@(?<digest>" + Digest + "))?$")]
    private static partial Regex ReferenceRegex();

    /// <summary>
    /// The tag as kubelet's parsers.ParseImageName sees it: the explicit tag, or <c>latest</c>
    /// when there is neither tag nor digest; null with a digest only. <paramref name="parsed"/>
    /// is false when the reference is not valid (then Kubernetes assumes no tag).
    /// </summary>
    public static string? TagOf(string image, out bool parsed)
    {
        var m = ReferenceRegex().Match(image);
        parsed = m.Success && m.Groups["name"].Length <= 255;
        if (!parsed) return null;
        if (m.Groups["tag"].Success) return m.Groups["tag"].Value;
        return m.Groups["digest"].Success ? null : "latest";
    }
}
