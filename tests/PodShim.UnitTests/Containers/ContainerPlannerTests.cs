using PodShim.Manifest;
using PodShim.Runtime.Containers;
using PodShim.Runtime.Images;
using PodShim.UnitTests.Fakes;

namespace PodShim.UnitTests.Containers;

public sealed class ContainerPlannerTests
{
    private static readonly ImageConfig s_image = ImageConfig.Empty with
    {
        Entrypoint = ["/docker-entrypoint.sh"],
        Cmd = ["nginx", "-g", "daemon off;"],
        Env = ["PATH=/usr/local/nginx/bin:/usr/bin:/bin", "NGINX_VERSION=1.27"],
    };

    private const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        app:x:1000:1000::/home/app:/bin/sh
        web:x:33:33::/var/www:/bin/sh
        """;

    private const string Group = """
        root:x:0:
        www:x:50:
        app:x:1000:
        audio:x:29:app,web
        video:x:44:web
        """;

    private static string? ImageFiles(string path) => path switch
    {
        "/etc/passwd" => Passwd,
        "/etc/group" => Group,
        _ => null,
    };

    private static ContainerLaunch Plan(Pod pod, ImageConfig? image = null, string hostname = "web") =>
        ContainerPlanner.Plan(pod, pod.Spec.Containers[0], image ?? s_image, hostname, ImageFiles);

    private static ContainerLaunch Plan(string containerLines, ImageConfig? image = null, string podSpecLines = "") =>
        Plan(TestPods.WithContainer(containerLines, podSpecLines), image);

    // ---- command and args ----

    [Fact]
    public void NeitherCommandNorArgsRunsEntrypointAndCmd()
    {
        Assert.Equal(["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"], Plan("").Argv);
    }

    [Fact]
    public void CommandReplacesEntrypointAndDropsCmd()
    {
        Assert.Equal(["sleep", "10"], Plan("command: [sleep, \"10\"]").Argv);
    }

    [Fact]
    public void ArgsAloneReplaceCmdAfterEntrypoint()
    {
        Assert.Equal(["/docker-entrypoint.sh", "echo", "hi"], Plan("args: [echo, hi]").Argv);
    }

    [Fact]
    public void CommandAndArgsRunTogether()
    {
        Assert.Equal(["sh", "-c", "echo hi"], Plan("command: [sh, -c]\nargs: [echo hi]").Argv);
    }

    [Fact]
    public void ArgsWithImageWithoutEntrypointRunArgs()
    {
        ImageConfig image = s_image with { Entrypoint = [] };
        Assert.Equal(["echo", "hi"], Plan("args: [echo, hi]", image).Argv);
    }

    [Fact]
    public void NoCommandAnywhereIsAConfigError()
    {
        var e = Assert.Throws<ContainerConfigException>(() => Plan("", ImageConfig.Empty));
        Assert.Equal("no command specified", e.Message);
    }

    [Fact]
    public void CommandAndArgsExpandContainerEnv()
    {
        ContainerLaunch launch = Plan("""
            env:
            - name: GREETING
              value: hello
            command: [echo, "$(GREETING)", "$$(GREETING)", "$(MISSING)"]
            args: ["$(GREETING)-world"]
            """);
        Assert.Equal(["echo", "hello", "$(GREETING)", "$(MISSING)", "hello-world"], launch.Argv);
    }

    [Fact]
    public void ArgsAloneAreExpandedButTheImageEntrypointIsNot()
    {
        ImageConfig image = s_image with { Entrypoint = ["/bin/$(X)"] };
        ContainerLaunch launch = Plan("""
            env:
            - name: X
              value: "y"
            args: ["$(X)"]
            """, image);
        Assert.Equal(["/bin/$(X)", "y"], launch.Argv);
    }

    [Fact]
    public void CommandDoesNotExpandVariablesOnlyTheImageDefines()
    {
        // kubelet expands command/args with the container's env (ExpandContainerCommandAndArgs over
        // opts.Envs); it never sees the image's env, so $(NGINX_VERSION) stays as written.
        Assert.Equal(["echo", "$(NGINX_VERSION)"], Plan("command: [echo, \"$(NGINX_VERSION)\"]").Argv);
    }

    // ---- environment ----

    [Fact]
    public void EnvIsImageEnvThenHostnameThenContainerEnv()
    {
        ContainerLaunch launch = Plan("""
            env:
            - name: ONE
              value: "1"
            - name: TWO
              value: "2"
            """);
        Assert.Equal(
            ["PATH=/usr/local/nginx/bin:/usr/bin:/bin", "NGINX_VERSION=1.27", "HOSTNAME=web", "ONE=1", "TWO=2"],
            launch.Env);
    }

    [Fact]
    public void DefaultPathIsAddedWhenTheImageHasNone()
    {
        ContainerLaunch launch = Plan("", s_image with { Env = ["A=b"] });
        Assert.Equal([ContainerPlanner.DefaultPath, "A=b", "HOSTNAME=web"], launch.Env);
    }

    [Fact]
    public void ContainerEnvOverridesImageEnvInPlace()
    {
        ContainerLaunch launch = Plan("""
            env:
            - name: NGINX_VERSION
              value: "2.0"
            - name: HOSTNAME
              value: custom
            - name: PATH
              value: /bin
            """);
        Assert.Equal(["PATH=/bin", "NGINX_VERSION=2.0", "HOSTNAME=custom"], launch.Env);
    }

    [Fact]
    public void LaterContainerEnvEntryOfTheSameNameWins()
    {
        ContainerLaunch launch = Plan("""
            env:
            - name: X
              value: first
            - name: X
              value: second
            """);
        Assert.Single(launch.Env, e => e.StartsWith("X=", StringComparison.Ordinal));
        Assert.Contains("X=second", launch.Env);
    }

    [Fact]
    public void EnvValuesExpandEarlierContainerEnvOnly()
    {
        ContainerLaunch launch = Plan("""
            env:
            - name: LATER_REF
              value: "$(BASE)/x"
            - name: BASE
              value: /opt
            - name: DERIVED
              value: "$(BASE)/bin:$$HOME"
            """);
        Assert.Contains("LATER_REF=$(BASE)/x", launch.Env);
        Assert.Contains("DERIVED=/opt/bin:$HOME", launch.Env);
    }

    [Fact]
    public void HostnameComesFromTheArgument()
    {
        ContainerLaunch launch = ContainerPlanner.Plan(TestPods.WithContainer(""), TestPods.WithContainer("").Spec.Containers[0], s_image, "other-host");
        Assert.Contains("HOSTNAME=other-host", launch.Env);
    }

    [Theory]
    [InlineData("metadata.name", "web")]
    [InlineData("metadata.namespace", "shop")]
    [InlineData("metadata.uid", "0b8ab6e4-5f0b-4a3c-9a57-1f1d2f3e4a5b")]
    [InlineData("metadata.labels['tier']", "frontend")]
    [InlineData("metadata.labels['absent']", "")]
    [InlineData("metadata.annotations['note']", "hi there")]
    [InlineData("spec.serviceAccountName", "default")]
    public void FieldRefValues(string fieldPath, string expected)
    {
        Pod pod = TestPods.Load($$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
              uid: 0b8ab6e4-5f0b-4a3c-9a57-1f1d2f3e4a5b
              labels:
                tier: frontend
              annotations:
                note: hi there
            spec:
              containers:
              - name: app
                image: busybox
                env:
                - name: FIELD
                  valueFrom:
                    fieldRef:
                      fieldPath: "{{fieldPath}}"
            """);
        Assert.Contains($"FIELD={expected}", Plan(pod).Env);
    }

    [Fact]
    public void UnsupportedFieldRefIsRejectedByValidationBeforePlanning()
    {
        Pod pod = TestPods.WithContainer("""
            env:
            - name: FIELD
              valueFrom:
                fieldRef:
                  fieldPath: metadata.generation
            """);
        var e = Assert.Throws<PodInvalidException>(() => PodValidation.ThrowIfInvalid(pod));
        Assert.Contains("field label not supported: metadata.generation", e.Message);
    }

    // ---- working directory ----

    [Theory]
    [InlineData("workingDir: /srv", "/app", "/srv")]
    [InlineData("", "/app", "/app")]
    [InlineData("", "", "/")]
    public void WorkingDirectory(string containerLines, string imageWorkingDir, string expected)
    {
        Assert.Equal(expected, Plan(containerLines, s_image with { WorkingDir = imageWorkingDir }).WorkingDirectory);
    }

    // ---- user and groups ----

    [Theory]
    [InlineData("", 0u, 0u)]
    [InlineData("1000", 1000u, 1000u)]
    [InlineData("1000:50", 1000u, 50u)]
    [InlineData("app", 1000u, 1000u)]
    [InlineData("web", 33u, 33u)]
    [InlineData("app:www", 1000u, 50u)]
    [InlineData("4242", 4242u, 0u)] // not in /etc/passwd: gid 0, as runc does
    [InlineData("4242:7", 4242u, 7u)]
    public void ImageUser(string user, uint uid, uint gid)
    {
        ContainerLaunch launch = Plan("", s_image with { User = user });
        Assert.Equal(uid, launch.Identity.Uid);
        Assert.Equal(gid, launch.Identity.Gid);
    }

    [Fact]
    public void UnknownImageUserNameIsAConfigError()
    {
        var e = Assert.Throws<ContainerConfigException>(() => Plan("", s_image with { User = "nobody-here" }));
        Assert.Contains("nobody-here", e.Message);
    }

    [Fact]
    public void UnknownImageGroupNameIsAConfigError()
    {
        Assert.Throws<ContainerConfigException>(() => Plan("", s_image with { User = "app:nogroup" }));
    }

    [Fact]
    public void PodSecurityContextOverridesImageUser()
    {
        ContainerLaunch launch = Plan("", s_image with { User = "app" }, """
            securityContext:
              runAsUser: 2000
              runAsGroup: 3000
            """);
        Assert.Equal(2000u, launch.Identity.Uid);
        Assert.Equal(3000u, launch.Identity.Gid);
    }

    [Fact]
    public void ContainerSecurityContextOverridesPodSecurityContext()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              runAsUser: 5
              runAsGroup: 6
            """, podSpecLines: """
            securityContext:
              runAsUser: 2000
              runAsGroup: 3000
            """);
        Assert.Equal(5u, launch.Identity.Uid);
        Assert.Equal(6u, launch.Identity.Gid);
    }

    [Fact]
    public void ContainerRunAsUserWithPodRunAsGroup()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              runAsUser: 5
            """, podSpecLines: """
            securityContext:
              runAsGroup: 3000
            """);
        Assert.Equal(5u, launch.Identity.Uid);
        Assert.Equal(3000u, launch.Identity.Gid);
    }

    [Fact]
    public void RunAsUserFoundInPasswdTakesItsPrimaryGroup()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              runAsUser: 33
            """);
        Assert.Equal(33u, launch.Identity.Uid);
        Assert.Equal(33u, launch.Identity.Gid);
    }

    [Fact]
    public void RunAsGroupOverridesTheImageUsersGroup()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              runAsGroup: 9
            """, s_image with { User = "1000:50" });
        Assert.Equal(1000u, launch.Identity.Uid);
        Assert.Equal(9u, launch.Identity.Gid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("root")]
    public void RunAsNonRootWithRootUserIsAConfigError(string imageUser)
    {
        Assert.Throws<ContainerConfigException>(() => Plan("""
            securityContext:
              runAsNonRoot: true
            """, s_image with { User = imageUser }));
    }

    [Fact]
    public void PodRunAsNonRootWithContainerRunAsUserZeroIsAConfigError()
    {
        Assert.Throws<ContainerConfigException>(() => Plan("""
            securityContext:
              runAsUser: 0
            """, podSpecLines: """
            securityContext:
              runAsNonRoot: true
              runAsUser: 1000
            """));
    }

    [Fact]
    public void RunAsNonRootWithNonRootUserIsAccepted()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              runAsNonRoot: true
            """, s_image with { User = "1000" });
        Assert.Equal(1000u, launch.Identity.Uid);
    }

    [Fact]
    public void SupplementalGroupsFromGroupFileAndPodSecurityContext()
    {
        ContainerLaunch launch = Plan("", s_image with { User = "web" }, """
            securityContext:
              supplementalGroups: [100, 200]
              fsGroup: 300
            """);
        Assert.Equal([29u, 44u, 100u, 200u, 300u], launch.Identity.SupplementalGroups);
    }

    [Fact]
    public void PrimaryGroupIsNotRepeatedAsSupplementalGroup()
    {
        ContainerLaunch launch = Plan("", s_image with { User = "app" }, """
            securityContext:
              supplementalGroups: [1000, 100, 100]
            """);
        Assert.Equal([29u, 100u], launch.Identity.SupplementalGroups);
    }

    [Fact]
    public void NoSupplementalGroupsByDefault()
    {
        Assert.Empty(Plan("").Identity.SupplementalGroups);
    }

    // ---- privileges ----

    [Fact]
    public void DefaultPrivileges()
    {
        ContainerLaunch launch = Plan("");
        Assert.Equal(ContainerSecurity.DefaultMask, launch.Identity.CapabilityBoundingSet);
        Assert.False(launch.Identity.NoNewPrivileges);
        Assert.False(launch.ReadonlyRootfs);
        Assert.False(launch.Privileged);
    }

    [Theory]
    [InlineData("false", true)]
    [InlineData("true", false)]
    public void AllowPrivilegeEscalation(string allow, bool noNewPrivileges)
    {
        ContainerLaunch launch = Plan($"""
            securityContext:
              allowPrivilegeEscalation: {allow}
            """);
        Assert.Equal(noNewPrivileges, launch.Identity.NoNewPrivileges);
    }

    [Fact]
    public void PrivilegedGetsAllCapabilities()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              privileged: true
              capabilities:
                drop: [ALL]
            """);
        Assert.True(launch.Privileged);
        Assert.Equal(ContainerSecurity.AllMask, launch.Identity.CapabilityBoundingSet);
        Assert.False(launch.Identity.NoNewPrivileges);
    }

    [Fact]
    public void CapabilitiesAddAndDrop()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              capabilities:
                add: [NET_ADMIN]
                drop: [CHOWN]
            """);
        Assert.Equal((ContainerSecurity.DefaultMask | (1UL << 12)) & ~1UL, launch.Identity.CapabilityBoundingSet);
    }

    [Fact]
    public void ReadOnlyRootFilesystem()
    {
        ContainerLaunch launch = Plan("""
            securityContext:
              readOnlyRootFilesystem: true
            """);
        Assert.True(launch.ReadonlyRootfs);
    }
}
