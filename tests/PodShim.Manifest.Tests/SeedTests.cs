namespace PodShim.Manifest.Tests;

public class SeedTests
{
    public static TheoryData<string> SeedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(TestPods.SeedDir, "*.yaml").OrderBy(f => f, StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    [Theory]
    [MemberData(nameof(SeedFiles))]
    public void EverySeedManifestLoadsAndValidates(string file)
    {
        var objects = ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, file));
        Assert.NotEmpty(objects);
        foreach (var o in objects)
        {
            switch (o)
            {
                case Pod pod:
                    Assert.Empty(PodValidation.Validate(pod));
                    PodValidation.ThrowIfInvalid(pod);
                    break;
                case Service svc:
                    Assert.Empty(ServiceValidation.Validate(svc));
                    break;
                default:
                    Assert.Fail($"unexpected {o.Kind}");
                    break;
            }
        }
    }

    [Fact]
    public void SeedsHaveTheExpectedShape()
    {
        Assert.Equal(10, Directory.GetFiles(TestPods.SeedDir, "*.yaml").Length);
        var initPod = Assert.IsType<Pod>(Assert.Single(ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "000-init-pod1.yaml"))));
        Assert.Equal("init-pod1", initPod.Metadata.Name);
        Assert.Equal(["init-myservice", "init-mydb"], initPod.Spec.InitContainers.Select(c => c.Name));
        Assert.Equal("init", initPod.Metadata.Labels["app"]);
        Assert.Equal("Always", initPod.Spec.Containers[0].ImagePullPolicy); // busybox, no tag

        var services = ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "001-services.yaml"));
        Assert.Equal(["myservice", "mydb"], services.Select(s => s.Metadata.Name));
        Assert.Equal(9377, ((Service)services[1]).Spec.Ports[0].TargetPort.IntValue);

        var myapp = (Pod)ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "001-myapp.yaml"))[0];
        Assert.Equal("echo \"L'app s'exécute!\" && sleep 3600", myapp.Spec.Containers[0].Command![2]);
        Assert.Equal("IfNotPresent", myapp.Spec.Containers[0].ImagePullPolicy); // busybox:1.28

        var demo = (Pod)ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "000-init-demo.yaml"))[0];
        Assert.NotNull(demo.Spec.Volumes[0].EmptyDir);
        Assert.Equal("/work-dir", demo.Spec.InitContainers[0].VolumeMounts[0].MountPath);

        var readiness = (Pod)ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "002-readiness.yaml"))[0];
        var c = readiness.Spec.Containers[0];
        Assert.Equal(80, c.LivenessProbe!.TcpSocket!.Port.IntValue);
        Assert.Equal(3, c.LivenessProbe.PeriodSeconds);
        Assert.Equal(3, c.LivenessProbe.FailureThreshold); // defaulted
        Assert.Equal("/hostname.html", c.ReadinessProbe!.HttpGet!.Path);
        Assert.Equal("HTTP", c.ReadinessProbe.HttpGet.Scheme);
        Assert.Equal("Always", readiness.Spec.InitContainers[0].ImagePullPolicy); // busyboxplus

        var init002 = (Pod)ManifestLoader.LoadFile(Path.Combine(TestPods.SeedDir, "002-init.yaml"))[0];
        Assert.Equal("Always", init002.Spec.InitContainers[0].ImagePullPolicy); // busybox:latest
        Assert.Equal("IfNotPresent", init002.Spec.Containers[0].ImagePullPolicy); // myapp:v1
    }

    [Fact]
    public void SeedTextAsExtractedIsRejectedWithAPosition()
    {
        // The liveness manifest as the seed has it: notes after values make it invalid YAML or wrong types.
        const string broken = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: myapp-pod
            spec:
              containers:
              - name: myapp-container
                image: myapp:v1
                livenessProbe:  存活探针检测
                  tcpSocket:  监测端口
                    port: 80
            """;
        var ex = Assert.Throws<ManifestException>(() => ManifestLoader.LoadText(broken, "init.yml"));
        Assert.StartsWith("init.yml:", ex.Message);
        Assert.Contains("yaml syntax error", ex.Message);
    }
}
