namespace PodShim.Manifest.Tests;

public class LoaderTests
{
    private static ManifestException Fails(string yaml) =>
        Assert.Throws<ManifestException>(() => ManifestLoader.LoadText(yaml, "pod.yaml"));

    private const string Minimal = """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: c
            image: busybox
        """;

    [Theory]
    [InlineData("  foo: 1\n", "unknown field \"spec.foo\"")]
    [InlineData("    bar: 1\n", "unknown field \"spec.containers[0].bar\"")]
    public void UnknownFieldsNameTheirPath(string extra, string expected)
    {
        var ex = Fails(Minimal + "\n" + extra);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("document 0", ex.Message);
        Assert.StartsWith("pod.yaml:", ex.Message);
    }

    [Fact]
    public void UnknownFieldsAreAllReportedWithPositions()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, colour: red}
            spec:
              containers:
              - name: c
                image: busybox
                livenessProbe: {httpGet: {port: 80, paht: /x}}
            """;
        var ex = Fails(yaml);
        Assert.Equal(2, ex.Problems.Count);
        Assert.Equal("pod.yaml:3:21: document 0: strict decoding error: unknown field \"metadata.colour\"", ex.Problems[0]);
        Assert.Equal("pod.yaml:8:41: document 0: strict decoding error: unknown field \"spec.containers[0].livenessProbe.httpGet.paht\"", ex.Problems[1]);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void DuplicateFieldsAreErrors()
    {
        var ex = Fails(Minimal + "\n    image: nginx\n");
        Assert.StartsWith("pod.yaml:8:5: yaml syntax error: Duplicate key", ex.Message);
    }

    [Fact]
    public void SyntaxErrorsGiveLineAndColumn()
    {
        var ex = Fails("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
        Assert.Matches(@"^pod\.yaml:\d+:\d+: yaml syntax error: ", ex.Message);
        var ex2 = Fails("apiVersion: v1\nkind: Pod\n  bad indent: x\n");
        Assert.StartsWith("pod.yaml:3:", ex2.Message);
    }

    [Fact]
    public void MultiDocumentFilesSkipEmptyDocuments()
    {
        var objs = ManifestLoader.LoadText("---\n" + Minimal + "\n---\n---\n" + Minimal.Replace("name: p", "name: q") + "\n---\n", "x");
        Assert.Equal(["p", "q"], objs.Select(o => o.Metadata.Name));
    }

    [Fact]
    public void UnknownKindsNameTheDocumentIndex()
    {
        var ex = Fails(Minimal + "\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
        Assert.Contains("document 1: no matches for kind \"Deployment\" in version \"apps/v1\"", ex.Message);
        Assert.Contains("document 0: Object 'Kind' is missing", Fails("apiVersion: v1\nmetadata: {name: x}\n").Message);
        Assert.Contains("no matches for kind \"Pod\" in version \"v2\"", Fails("apiVersion: v2\nkind: Pod\n").Message);
    }

    [Fact]
    public void ListsOfPodsAndServices()
    {
        const string yaml = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: a}
              spec: {containers: [{name: c, image: busybox}]}
            - apiVersion: v1
              kind: Service
              metadata: {name: s}
              spec: {ports: [{port: 80, targetPort: http}]}
            """;
        var objs = ManifestLoader.LoadText(yaml, "list.yaml");
        Assert.IsType<Pod>(objs[0]);
        var svc = Assert.IsType<Service>(objs[1]);
        Assert.Equal("http", svc.Spec.Ports[0].TargetPort.StringValue);
        var ex = Fails(yaml.Replace("kind: Service", "kind: Secret"));
        Assert.Contains("items[1]: no matches for kind \"Secret\"", ex.Message);
    }

    [Fact]
    public void JsonInput()
    {
        const string json = """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"j","labels":{"a":"b"}},
             "spec":{"containers":[{"name":"c","image":"busybox:1.36","ports":[{"containerPort":80}],
               "resources":{"limits":{"cpu":0.5,"memory":"64Mi"}}}]}}
            """;
        var pod = TestPods.LoadPod(json);
        Assert.Equal("j", pod.Metadata.Name);
        Assert.Equal(80, pod.Spec.Containers[0].Ports[0].Port);
        Assert.Equal("500m", pod.Spec.Containers[0].Resources.Limits["cpu"].ToString());
        Assert.Contains("unknown field \"spec.containers[0].nope\"",
            Fails(json.Replace("\"name\":\"c\"", "\"name\":\"c\",\"nope\":1")).Message);
    }

    [Theory]
    [InlineData("    ports: [{containerPort: \"80\"}]", "spec.containers[0].ports[0].containerPort: expected integer, got string \"80\"")]
    [InlineData("    env: [{name: A, value: 8080}]", "spec.containers[0].env[0].value: expected string, got number 8080")]
    [InlineData("    env: [{name: A, value: yes}]", "spec.containers[0].env[0].value: expected string, got bool yes")]
    [InlineData("    stdin: maybe", "spec.containers[0].stdin: expected boolean, got string \"maybe\"")]
    [InlineData("    resources: {limits: {memory: 1GB}}", "spec.containers[0].resources.limits.memory: quantities must match the regular expression")]
    [InlineData("    command: echo", "spec.containers[0].command: expected array, got string \"echo\"")]
    [InlineData("    envFrom: [{configMapRef: {name: x}}]", "spec.containers[0].envFrom: Forbidden: not supported by podshim")]
    public void WrongTypesAreErrorsWithThePath(string extra, string expected)
    {
        Assert.Contains(expected, Fails(Minimal + "\n" + extra + "\n").Message);
    }

    [Fact]
    public void UnsupportedVolumeTypesAreRejectedClearly()
    {
        var ex = Fails(Minimal + "\n  volumes: [{name: v, configMap: {name: x}}]\n");
        Assert.Contains("spec.volumes[0].configMap: Forbidden: volume type not supported by podshim", ex.Message);
    }

    [Fact]
    public void LoadFileReportsMissingFiles()
    {
        var ex = Assert.Throws<ManifestException>(() => ManifestLoader.LoadFile("/nonexistent/pod.yaml"));
        Assert.StartsWith("/nonexistent/pod.yaml: ", ex.Message);
    }

    [Fact]
    public void StatusAndServerFieldsAreIgnored()
    {
        var pod = TestPods.LoadPod(Minimal.Replace("metadata: {name: p}", "metadata: {name: p, creationTimestamp: null, uid: abc}") + "\nstatus: {phase: Running}\n");
        Assert.Equal("abc", pod.Metadata.Uid);
    }
}
