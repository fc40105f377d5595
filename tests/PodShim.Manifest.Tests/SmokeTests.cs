namespace PodShim.Manifest.Tests;

public class SmokeTests
{
    [Fact]
    public void LoadsPodAndServiceWithDefaults()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: demo
            spec:
              containers:
              - name: app
                image: nginx
                resources:
                  limits: {cpu: 500m, memory: 128Mi}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: s}
            spec:
              ports: [{port: 80}]
            """;
        var objs = ManifestLoader.LoadText(yaml, "test.yaml");
        Assert.Equal(2, objs.Count);
        var pod = Assert.IsType<Pod>(objs[0]);
        Assert.Equal("default", pod.Metadata.Namespace);
        Assert.Equal("Always", pod.Spec.Containers[0].ImagePullPolicy);
        Assert.Equal("500m", pod.Spec.Containers[0].Resources.Requests["cpu"].ToString());
        Assert.Empty(PodValidation.Validate(pod));
        var svc = Assert.IsType<Service>(objs[1]);
        Assert.Equal(80, svc.Spec.Ports[0].TargetPort.IntValue);
    }
}
