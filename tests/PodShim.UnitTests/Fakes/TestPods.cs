using PodShim.Manifest;

namespace PodShim.UnitTests.Fakes;

/// <summary>Pods for tests, built from YAML with the real manifest loader.</summary>
public static class TestPods
{
    public static Pod Load(string yaml) => ManifestLoader.LoadText(yaml, "test.yaml").OfType<Pod>().Single();

    /// <summary>A pod with one container "app" whose spec lines (indented by 4) are given.</summary>
    public static Pod WithContainer(string containerLines, string podSpecLines = "", string metadataLines = "")
    {
        string yaml = $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            {Indent(metadataLines, 2)}
            spec:
            {Indent(podSpecLines, 2)}
              containers:
              - name: app
                image: busybox
            {Indent(containerLines, 4)}
            """;
        return Load(yaml);
    }

    private static string Indent(string lines, int spaces) =>
        string.Join('\n', lines.Split('\n').Where(l => l.Trim().Length > 0).Select(l => new string(' ', spaces) + l));
}
