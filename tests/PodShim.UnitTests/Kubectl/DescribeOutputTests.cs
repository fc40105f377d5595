using PodShim.Manifest;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Kubectl;

/// <summary>`describe pod`: kubectl's layout, whole outputs compared byte for byte (fixed clock, UTC).</summary>
public sealed class DescribeOutputTests
{
    private const string Uid = "1f6d3c1e-0000-4000-8000-000000000001";

    internal const string WebYaml = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: shop
          uid: 1f6d3c1e-0000-4000-8000-000000000001
          labels:
            app: web
            tier: front
          annotations:
            team: payments
        spec:
          volumes:
          - name: data
            emptyDir:
              sizeLimit: 64Mi
          - name: host
            hostPath:
              path: /var/log
              type: Directory
          initContainers:
          - name: setup
            image: busybox
            command: ['sh', '-c', 'echo ready > /data/ready']
            volumeMounts:
            - name: data
              mountPath: /data
          containers:
          - name: app
            image: nginx:1.25
            ports:
            - name: http
              containerPort: 8080
            env:
            - name: MODE
              value: fast
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: MEM
              valueFrom:
                resourceFieldRef:
                  resource: limits.memory
                  divisor: 1Mi
            resources:
              limits:
                memory: 128Mi
              requests:
                cpu: 250m
            livenessProbe:
              httpGet:
                path: /healthz
                port: 8080
            readinessProbe:
              exec:
                command: ['cat', '/data/ready']
              initialDelaySeconds: 5
              periodSeconds: 2
            volumeMounts:
            - name: host
              mountPath: /logs
              readOnly: true
            - name: data
              mountPath: /data
              subPath: app
        """;

    internal static Pod Web() => ManifestLoader.LoadText(WebYaml, "web.yaml").OfType<Pod>().Single();

    internal static PodStatusInfo WebStatus()
    {
        PodCondition C(string type) => new(type, "True", null, null, Now - TimeSpan.FromMinutes(4));
        return new PodStatusInfo
        {
            Phase = "Running",
            StartTime = Now - TimeSpan.FromMinutes(5),
            Conditions = [C("PodReadyToStartContainers"), C("Initialized"), C("Ready"), C("ContainersReady"), C("PodScheduled")],
            InitContainerStatuses =
            [
                new ContainerStatusInfo("setup", "busybox", new TerminatedState(0, 0, "Completed", null, Now - TimeSpan.FromMinutes(5),
                    Now - TimeSpan.FromSeconds(298), $"podshim://{Uid}/setup/0"))
                { Ready = true, Started = false, ContainerId = $"podshim://{Uid}/setup/0" },
            ],
            ContainerStatuses =
            [
                new ContainerStatusInfo("app", "nginx:1.25", new RunningState(Now - TimeSpan.FromSeconds(60)))
                {
                    Ready = true,
                    Started = true,
                    RestartCount = 1,
                    ContainerId = $"podshim://{Uid}/app/1",
                    LastState = new TerminatedState(1, 0, "Error", null, Now - TimeSpan.FromMinutes(3), Now - TimeSpan.FromSeconds(62), $"podshim://{Uid}/app/0"),
                },
            ],
        };
    }

    internal static IReadOnlyList<PodEvent> WebEvents() =>
    [
        new(Now - TimeSpan.FromMinutes(5), "Normal", "Scheduled", "Successfully assigned shop/web to node1", "pod/web", "default-scheduler"),
        new(Now - TimeSpan.FromSeconds(298), "Normal", "Pulled", "Container image \"nginx:1.25\" already present on machine", "spec.containers{app}", "kubelet"),
        new(Now - TimeSpan.FromSeconds(62), "Normal", "Pulled", "Container image \"nginx:1.25\" already present on machine", "spec.containers{app}", "kubelet"),
        new(Now - TimeSpan.FromSeconds(30), "Warning", "Unhealthy", "Readiness probe failed: cat: can't open '/data/ready': No such file or directory", "spec.containers{app}", "kubelet"),
    ];

    [Fact]
    public void A_running_pod_with_init_containers_probes_env_mounts_volumes_and_events()
    {
        Pod pod = Web();
        var d = new PodDescription(pod, PodRecord.For(pod, Now - TimeSpan.FromMinutes(6), "node1"), WebStatus(), EventLog.Aggregate(WebEvents()));
        string expected = """
            Name:             web
            Namespace:        shop
            Service Account:  default
            Node:             node1/
            Start Time:       Sun, 22 Nov 2026 06:09:00 +0000
            Labels:           app=web
                              tier=front
            Annotations:      team: payments
            Status:           Running
            IP:               
            IPs:              <none>
            Init Containers:
              setup:
                Container ID:  podshim://1f6d3c1e-0000-4000-8000-000000000001/setup/0
                Image:         busybox
                Image ID:      
                Port:          <none>
                Host Port:     <none>
                Command:
                  sh
                  -c
                  echo ready > /data/ready
                State:          Terminated
                  Reason:       Completed
                  Exit Code:    0
                  Started:      Sun, 22 Nov 2026 06:09:00 +0000
                  Finished:     Sun, 22 Nov 2026 06:09:02 +0000
                Ready:          True
                Restart Count:  0
                Environment:    <none>
                Mounts:
                  /data from data (rw)
            Containers:
              app:
                Container ID:   podshim://1f6d3c1e-0000-4000-8000-000000000001/app/1
                Image:          nginx:1.25
                Image ID:       
                Port:           8080/TCP (http)
                Host Port:      0/TCP (http)
                State:          Running
                  Started:      Sun, 22 Nov 2026 06:13:00 +0000
                Last State:     Terminated
                  Reason:       Error
                  Exit Code:    1
                  Started:      Sun, 22 Nov 2026 06:11:00 +0000
                  Finished:     Sun, 22 Nov 2026 06:12:58 +0000
                Ready:          True
                Restart Count:  1
                Limits:
                  memory:  128Mi
                Requests:
                  cpu:      250m
                  memory:   128Mi
                Liveness:   http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3
                Readiness:  exec [cat /data/ready] delay=5s timeout=1s period=2s #success=1 #failure=3
                Environment:
                  MODE:      fast
                  POD_NAME:  web (v1:metadata.name)
                  MEM:       128 (limits.memory)
                Mounts:
                  /data from data (rw,path="app")
                  /logs from host (ro)
            Conditions:
              Type                        Status
              PodReadyToStartContainers   True 
              Initialized                 True 
              Ready                       True 
              ContainersReady             True 
              PodScheduled                True 
            Volumes:
              data:
                Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
                Medium:     
                SizeLimit:  64Mi
              host:
                Type:          HostPath (bare host directory volume)
                Path:          /var/log
                HostPathType:  Directory
            QoS Class:         Burstable
            Node-Selectors:    <none>
            Tolerations:       <none>
            Events:
              Type     Reason     Age                  From               Message
              ----     ------     ----                 ----               -------
              Normal   Scheduled  5m                   default-scheduler  Successfully assigned shop/web to node1
              Normal   Pulled     62s (x2 over 4m58s)  kubelet            Container image "nginx:1.25" already present on machine
              Warning  Unhealthy  30s                  kubelet            Readiness probe failed: cat: can't open '/data/ready': No such file or directory

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), PodDescriber.Describe(d, Now, TimeZoneInfo.Utc));
    }

    [Fact]
    public void A_pending_pod_without_statuses_prints_no_container_state_and_no_events()
    {
        Pod pod = ManifestLoader.LoadText("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n", "p.yaml").OfType<Pod>().Single();
        var d = new PodDescription(pod, PodRecord.For(pod, Now, "node1"), new PodStatusInfo(), []);
        string expected = """
            Name:             p
            Namespace:        default
            Service Account:  default
            Node:             node1/
            Labels:           <none>
            Annotations:      <none>
            Status:           Pending
            IP:               
            IPs:              <none>
            Containers:
              c:
                Image:        busybox
                Port:         <none>
                Host Port:    <none>
                Environment:  <none>
                Mounts:       <none>
            Volumes:          <none>
            QoS Class:        BestEffort
            Node-Selectors:   <none>
            Tolerations:      <none>
            Events:           <none>

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), PodDescriber.Describe(d, Now, TimeZoneInfo.Utc));
    }

    [Fact]
    public void A_pod_being_deleted_says_how_long_it_has_been_terminating_and_its_grace()
    {
        Pod pod = Web();
        PodStatusInfo status = WebStatus() with { Deleting = true };
        var d = new PodDescription(pod, PodRecord.For(pod, Now, "node1"), status, [])
        {
            DeletionTimestamp = Now - TimeSpan.FromSeconds(12),
            DeletionGracePeriodSeconds = 5,
        };
        string text = PodDescriber.Describe(d, Now, TimeZoneInfo.Utc);
        Assert.Contains("Status:                    Terminating (lasts 12s)\nTermination Grace Period:  5s\n", text);
    }

    [Fact]
    public void Waiting_and_killed_states_show_their_reason_and_signal()
    {
        Pod pod = Web();
        PodStatusInfo status = WebStatus() with
        {
            ContainerStatuses =
            [
                new ContainerStatusInfo("app", "nginx:1.25", new WaitingState("CrashLoopBackOff", "back-off 10s"))
                {
                    RestartCount = 2,
                    LastState = new TerminatedState(137, 9, "Error", null, Now - TimeSpan.FromSeconds(20), Now - TimeSpan.FromSeconds(5)),
                },
            ],
        };
        string text = PodDescriber.Describe(new PodDescription(pod, PodRecord.For(pod, Now, "n"), status, []), Now, TimeZoneInfo.Utc);
        Assert.Contains(
            "    State:          Waiting\n" +
            "      Reason:       CrashLoopBackOff\n" +
            "    Last State:     Terminated\n" +
            "      Reason:       Error\n" +
            "      Exit Code:    137\n" +
            "      Signal:       9\n", text);
    }

    [Theory]
    [InlineData("", "BestEffort")]
    [InlineData("    resources:\n      requests:\n        cpu: 100m\n", "Burstable")]
    [InlineData("    resources:\n      limits:\n        cpu: 100m\n        memory: 64Mi\n", "Guaranteed")]
    [InlineData("    resources:\n      limits:\n        cpu: 100m\n        memory: 64Mi\n      requests:\n        cpu: 50m\n", "Burstable")]
    public void The_qos_class_follows_requests_and_limits(string resources, string qos)
    {
        Pod pod = ManifestLoader.LoadText($"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n{resources}", "p.yaml").OfType<Pod>().Single();
        Assert.Equal(qos, PodDescriber.QosClass(pod));
    }

    [Fact]
    public void Probes_are_described_as_kubectl_describes_them()
    {
        Assert.Equal("tcp-socket :6379 delay=1s timeout=2s period=3s #success=1 #failure=4",
            PodDescriber.DescribeProbe(new Probe { TcpSocket = new TcpSocketAction(IntOrString.FromInt(6379), null), InitialDelaySeconds = 1, TimeoutSeconds = 2, PeriodSeconds = 3, FailureThreshold = 4 }));
        Assert.Equal("http-get https://example:web/ready delay=0s timeout=1s period=10s #success=1 #failure=3",
            PodDescriber.DescribeProbe(new Probe { HttpGet = new HttpGetAction { Path = "/ready", Port = IntOrString.FromString("web"), Host = "example", Scheme = "HTTPS" } }));
        Assert.Equal("grpc <pod>:2379  delay=0s timeout=1s period=10s #success=1 #failure=3",
            PodDescriber.DescribeProbe(new Probe { Grpc = new GrpcAction(2379, null) }));
    }

    [Fact]
    public void Start_times_print_in_the_local_zone_with_a_numeric_offset()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("test+0530", TimeSpan.FromMinutes(330), "test", "test");
        Assert.Equal("Sun, 22 Nov 2026 11:44:00 +0530", GoTime.Rfc1123Z(Now, zone));
        Assert.Equal("Mon, 01 Jan 0001 00:00:00 +0000", GoTime.Rfc1123Z(null, zone));
    }
}
