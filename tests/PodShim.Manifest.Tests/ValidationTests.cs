namespace PodShim.Manifest.Tests;

public class ValidationTests
{
    private static IReadOnlyList<string> ErrorsOf(string yaml) => PodValidation.Validate(TestPods.LoadPod(yaml));

    private static string Edit(string from, string to)
    {
        Assert.Contains(from, TestPods.Full);
        return TestPods.Full.Replace(from, to);
    }

    [Fact]
    public void TheFullPodIsValid()
    {
        Assert.Empty(ErrorsOf(TestPods.Full));
    }

    private const string Label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string InitForbidden = "may not be set for init containers without restartPolicy=Always";

    /// <summary>(edit from, edit to, every expected error in order).</summary>
    public static TheoryData<string, string, string[]> Rules() => new()
    {
        // metadata
        { "name: web\n", "name: Web_1\n", [$"metadata.name: Invalid value: \"Web_1\": {Subdomain}"] },
        { "namespace: shop", "namespace: a.b", ["metadata.namespace: Invalid value: \"a.b\": must not contain dots"] },
        { "labels: {app: web, tier: \"1\"}", "labels: {app: -web}", ["metadata.labels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"] },
        // containers: names
        { "  - name: app\n", "  - name: \"\"\n", ["spec.containers[0].name: Required value"] },
        { "  - name: app\n", "  - name: App\n", [$"spec.containers[0].name: Invalid value: \"App\": {Label}"] },
        { "  - name: app\n", "  - name: setup\n", ["spec.initContainers[0].name: Duplicate value: \"setup\""] },
        { "  - name: proxy\n", "  - name: setup\n", ["spec.initContainers[1].name: Duplicate value: \"setup\""] },
        { "  - name: app\n", "  - name: " + new string('a', 64) + "\n", ["spec.containers[0].name: Invalid value: \"" + new string('a', 64) + "\": must be no more than 63 characters"] },
        // image and policies
        { "image: nginx:1.27", "image: \"\"", ["spec.containers[0].image: Required value"] },
        { "image: nginx:1.27", "image: \" nginx\"", ["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace"] },
        { "restartPolicy: OnFailure", "restartPolicy: Sometimes", ["spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""] },
        { "    restartPolicy: Always\n", "    restartPolicy: OnFailure\n    livenessProbe: {exec: {command: [x]}}\n",
            ["spec.initContainers[1].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
             $"spec.initContainers[1].livenessProbe: Forbidden: {InitForbidden}", $"spec.initContainers[1].startupProbe: Forbidden: {InitForbidden}"] },
        { "    workingDir: /srv\n", "    workingDir: /srv\n    restartPolicy: Always\n", ["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers"] },
        { "    command: [sh, -c, \"echo hi > /work/index.html\"]\n", "    command: [sh]\n    readinessProbe: {exec: {command: [x]}}\n    lifecycle: {preStop: {exec: {command: [x]}}}\n",
            [$"spec.initContainers[0].lifecycle: Forbidden: {InitForbidden}", $"spec.initContainers[0].readinessProbe: Forbidden: {InitForbidden}"] },
        { "image: nginx:1.27", "image: nginx:1.27\n    imagePullPolicy: Sometimes", ["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""] },
        { "terminationGracePeriodSeconds: 20\n", "terminationGracePeriodSeconds: 20\n  dnsPolicy: Cluster\n", ["spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""] },
        // probes
        { "periodSeconds: 5", "periodSeconds: 5\n      successThreshold: 2", [] },
        { "terminationGracePeriodSeconds: 5\n", "terminationGracePeriodSeconds: 5\n      successThreshold: 3\n", ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 3: must be 1"] },
        { "startupProbe: {tcpSocket: {port: admin}}", "startupProbe: {tcpSocket: {port: admin}, successThreshold: 2}", ["spec.initContainers[1].startupProbe.successThreshold: Invalid value: 2: must be 1"] },
        { "periodSeconds: 5", "periodSeconds: 5\n      terminationGracePeriodSeconds: 10", ["spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes"] },
        { "exec: {command: [cat, /tmp/ready]}", "exec: {command: [cat]}\n      tcpSocket: {port: 80}", ["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"] },
        { "exec: {command: [cat, /tmp/ready]}", "initialDelaySeconds: 1", ["spec.containers[0].readinessProbe: Required value: must specify a handler type"] },
        { "exec: {command: [cat, /tmp/ready]}", "exec: {command: []}", ["spec.containers[0].readinessProbe.exec.command: Required value"] },
        { "exec: {command: [cat, /tmp/ready]}", "exec: {command: [x]}\n      initialDelaySeconds: -1\n      failureThreshold: -2",
            ["spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
             "spec.containers[0].readinessProbe.failureThreshold: Invalid value: -2: must be greater than or equal to 0"] },
        { "terminationGracePeriodSeconds: 5\n", "terminationGracePeriodSeconds: -5\n", ["spec.containers[0].livenessProbe.terminationGracePeriodSeconds: Invalid value: -5: must be greater than 0"] },
        { "httpGet: {path: /healthz, port: http,", "httpGet: {path: /healthz, port: 70000, scheme: FTP,",
            ["spec.containers[0].livenessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
             "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\""] },
        { "httpHeaders: [{name: X-Probe, value: \"1\"}]", "httpHeaders: [{name: \"X Probe\", value: \"1\"}]", ["spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"X Probe\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"] },
        { "httpGet: {path: /healthz, port: http,", "httpGet: {path: /healthz, port: metrics,", ["spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"metrics\": must be the name of a port of this container"] },
        { "httpGet: {path: /healthz, port: http,", "httpGet: {path: /healthz, port: Http--,",
            ["spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"Http--\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
             "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"Http--\": must not contain consecutive hyphens",
             "spec.containers[0].livenessProbe.httpGet.port: Invalid value: \"Http--\": must not begin or end with a hyphen"] },
        { "preStop: {sleep: {seconds: 3}}", "preStop: {sleep: {seconds: 30}}", ["spec.containers[0].lifecycle.preStop.sleep: Invalid value: 30: must be non-negative and less than terminationGracePeriodSeconds (20)"] },
        { "postStart: {exec: {command: [sh, -c, \"true\"]}}", "postStart: {}", ["spec.containers[0].lifecycle.postStart: Required value: must specify a handler type"] },
        // ports
        { "- {name: http, containerPort: 8080, protocol: TCP}", "- {name: http, containerPort: 0, protocol: XTP}\n    - {name: http, containerPort: 65536, hostPort: -1}",
            ["spec.containers[0].ports[0].containerPort: Required value",
             "spec.containers[0].ports[0].protocol: Unsupported value: \"XTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
             "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
             "spec.containers[0].ports[1].containerPort: Invalid value: 65536: must be between 1 and 65535, inclusive",
             "spec.containers[0].ports[1].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive"] },
        { "- {name: http, containerPort: 8080, protocol: TCP}", "- {name: http, containerPort: 8080, protocol: TCP}\n    - {name: http-alt-port-number, containerPort: 8081}",
            ["spec.containers[0].ports[1].name: Invalid value: \"http-alt-port-number\": must be no more than 15 characters"] },
        { "- {name: http, containerPort: 8080, protocol: TCP}", "- {name: http, containerPort: 8080, hostPort: 80}\n    - {name: web, containerPort: 8081, hostPort: 80}",
            ["spec.containers[0].ports[1].hostPort: Duplicate value: \"TCP//80\""] },
        // env
        { "- {name: PORT, value: \"8080\"}", "- {name: \"\", value: \"8080\"}\n    - {name: \"A=B\", value: x}",
            ["spec.containers[0].env[0].name: Required value",
             "spec.containers[0].env[1].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"] },
        { "valueFrom: {fieldRef: {fieldPath: metadata.name}}", "valueFrom: {fieldRef: {fieldPath: status.phase}}",
            ["spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: \"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\""] },
        { "valueFrom: {fieldRef: {fieldPath: metadata.name}}", "valueFrom: {fieldRef: {fieldPath: spec.bogus}}",
            ["spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.bogus\": error converting fieldPath: field label not supported: spec.bogus"] },
        { "valueFrom: {fieldRef: {fieldPath: metadata.name}}", "value: x\n      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}",
            ["spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"] },
        { "valueFrom: {fieldRef: {fieldPath: metadata.name}}", "valueFrom: {}",
            ["spec.containers[0].env[2].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"] },
        { "resourceFieldRef: {resource: limits.memory, divisor: 1Mi}", "resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}",
            ["spec.containers[0].env[3].valueFrom.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource"] },
        { "resourceFieldRef: {resource: limits.memory, divisor: 1Mi}", "resourceFieldRef: {resource: limits.gpu}",
            ["spec.containers[0].env[3].valueFrom.resourceFieldRef.resource: Unsupported value: \"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\""] },
        // resources
        { "limits: {cpu: 500m, memory: 256Mi}", "limits: {cpu: 200m, memory: 32Mi}",
            ["spec.containers[0].resources.requests: Invalid value: \"250m\": must be less than or equal to cpu limit of 200m",
             "spec.containers[0].resources.requests: Invalid value: \"64Mi\": must be less than or equal to memory limit of 32Mi"] },
        { "requests: {cpu: 250m, memory: 64Mi}", "requests: {cpu: -1, foo: 1, pods: 1}",
            ["spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
             "spec.containers[0].resources.requests[foo]: Invalid value: foo: must be a standard resource type or fully qualified",
             "spec.containers[0].resources.requests[pods]: Invalid value: pods: must be a standard resource for containers"] },
        { "requests: {cpu: 250m, memory: 64Mi}", "requests: {cpu: 250m, example.com/gpu: 1}",
            ["spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources"] },
        { "limits: {cpu: 500m, memory: 256Mi}", "limits: {cpu: 500m, memory: 256Mi, example.com/gpu: 1.5}",
            ["spec.containers[0].resources.limits[example.com/gpu]: Invalid value: 1500m: must be an integer",
             "spec.containers[0].resources.requests[example.com/gpu]: Invalid value: 1500m: must be an integer"] },
        // volumes and mounts
        { "{name: info, mountPath: /etc/podinfo}", "{name: nope, mountPath: /etc/podinfo}", ["spec.containers[0].volumeMounts[1].name: Not found: \"nope\""] },
        { "{name: info, mountPath: /etc/podinfo}", "{name: info, mountPath: /usr/share/nginx/html}", ["spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/usr/share/nginx/html\": must be unique"] },
        { "{name: info, mountPath: /etc/podinfo}", "{name: info, mountPath: etc/podinfo}", ["spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"etc/podinfo\": must be an absolute path"] },
        { "{name: info, mountPath: /etc/podinfo}", "{name: info, mountPath: /etc/podinfo, subPath: ../x}", ["spec.containers[0].volumeMounts.subPath: Invalid value: \"../x\": must not contain '..'"] },
        { "{name: info, mountPath: /etc/podinfo}", "{name: info, mountPath: /etc/podinfo, mountPropagation: Bidirectional}", ["spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers"] },
        { "  - name: host\n", "  - name: work\n",
            ["spec.volumes[2].name: Duplicate value: \"work\""] },
        { "  - name: host\n", "  - name: Host\n", [$"spec.volumes[2].name: Invalid value: \"Host\": {Label}"] },
        { "emptyDir: {medium: Memory, sizeLimit: 64Mi}", "emptyDir: {medium: Memory, sizeLimit: -1}",
            ["spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity",
             "spec.containers[0].volumeMounts[0].name: Not found: \"work\"",
             "spec.initContainers[0].volumeMounts[0].name: Not found: \"work\""] },
        { "hostPath: {path: /var/log, type: Directory}", "hostPath: {path: /var/log, type: Dir}",
            ["spec.volumes[2].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\""] },
        { "hostPath: {path: /var/log, type: Directory}", "hostPath: {path: /var/../etc}", ["spec.volumes[2].hostPath.path: Invalid value: \"/var/../etc\": must not contain '..'"] },
        { "hostPath: {path: /var/log, type: Directory}", "hostPath: {path: /var/log}\n    emptyDir: {}", ["spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type"] },
        { "- path: labels\n", "- path: /labels\n", ["spec.volumes[1].downwardAPI.path: Invalid value: \"/labels\": must be a relative path",
            // an invalid volume is not registered, so its mounts are not found either
            "spec.containers[0].volumeMounts[1].name: Not found: \"info\""] },
        { "serviceAccountToken: {path: token, expirationSeconds: 3600}", "serviceAccountToken: {path: token, expirationSeconds: 60}", ["spec.volumes[3].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"] },
        // pod level
        { "activeDeadlineSeconds: 600", "activeDeadlineSeconds: 0", ["spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"] },
        { "hostname: web-0", "hostname: web.0", ["spec.hostname: Invalid value: \"web.0\": must not contain dots"] },
        { "shareProcessNamespace: true", "shareProcessNamespace: true\n  hostPID: true", ["spec.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled"] },
        { "runAsUser: 1000\n    fsGroup", "runAsUser: -1\n    fsGroup", ["spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"] },
        { "sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: \"0\"}]", "sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: \"0\"}]\n  hostNetwork: true",
            ["spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.ip_unprivileged_port_start\": may not be specified when 'hostNetwork' is true"] },
        { "sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: \"0\"}]", "sysctls: [{name: Net.X, value: \"0\"}]",
            ["spec.securityContext.sysctls[0].name: Invalid value: \"Net.X\": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"] },
        { "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true\n      runAsUser: 4294967296",
            ["spec.containers[0].securityContext.runAsUser: Invalid value: 4294967296: must be between 0 and 2147483647, inclusive"] },
        { "    workingDir: /srv\n", "    workingDir: /srv\n    tty: true\n", ["spec.containers[0].tty: Forbidden: not supported by podshim yet (no terminal is allocated)"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void RuleHasKubernetesMessage(string from, string to, string[] expected)
    {
        Assert.Equal(expected, ErrorsOf(Edit(from, to)));
    }

    [Fact]
    public void AtLeastOneContainer()
    {
        var errors = ErrorsOf("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n");
        Assert.Equal(["spec.containers: Required value"], errors);
    }

    [Fact]
    public void EphemeralContainersCannotBeSetOnCreate()
    {
        var errors = ErrorsOf(TestPods.Full.Replace("  volumes:\n", "  ephemeralContainers: [{name: dbg, image: busybox, targetContainerName: app}]\n  volumes:\n"));
        Assert.Equal(["spec.ephemeralContainers: Forbidden: cannot be set on create"], errors);
    }

    [Fact]
    public void ThrowIfInvalidFormatsLikeTheApiServer()
    {
        var one = TestPods.LoadPod(Edit("restartPolicy: OnFailure", "restartPolicy: Sometimes"));
        var ex = Assert.Throws<PodInvalidException>(() => PodValidation.ThrowIfInvalid(one));
        Assert.Equal("The Pod \"web\" is invalid: spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"", ex.Message);

        var two = TestPods.LoadPod(Edit("image: nginx:1.27", "image: \"\"").Replace("  - name: setup\n", "  - name: \"\"\n"));
        ex = Assert.Throws<PodInvalidException>(() => PodValidation.ThrowIfInvalid(two));
        Assert.Equal("The Pod \"web\" is invalid: [spec.containers[0].image: Required value, spec.initContainers[0].name: Required value]", ex.Message);
        Assert.Equal(2, ex.Errors.Count);
    }

    [Fact]
    public void HostNetworkDefaultsHostPorts()
    {
        var pod = TestPods.LoadPod(Edit("shareProcessNamespace: true", "hostNetwork: true").Replace("net.ipv4.ip_unprivileged_port_start", "kernel.shm_rmid_forced"));
        Assert.Equal(8080, pod.Spec.Containers[0].Ports[0].HostPort);
        Assert.Empty(PodValidation.Validate(pod));
        var bad = TestPods.LoadPod(Edit("shareProcessNamespace: true", "hostNetwork: true").Replace("net.ipv4.ip_unprivileged_port_start", "kernel.shm_rmid_forced").Replace("containerPort: 8080, protocol: TCP", "containerPort: 8080, hostPort: 81"));
        Assert.Equal(["spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true"], PodValidation.Validate(bad));
    }

    [Fact]
    public void ServiceRules()
    {
        var svc = Assert.IsType<Service>(ManifestLoader.LoadText("""
            apiVersion: v1
            kind: Service
            metadata: {name: 1web}
            spec:
              type: Magic
              ports: [{port: 0, targetPort: -1}, {name: b, port: 80, protocol: ICMP}]
            """, "s.yaml")[0]);
        Assert.Equal([
            "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "spec.ports[0].name: Required value",
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[0].targetPort: Invalid value: -1: must be between 1 and 65535, inclusive",
            "spec.ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
        ], PodShim.Manifest.ServiceValidation.Validate(svc));
        Assert.Throws<ServiceInvalidException>(() => PodShim.Manifest.ServiceValidation.ThrowIfInvalid(svc));
    }
}
