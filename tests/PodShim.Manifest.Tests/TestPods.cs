namespace PodShim.Manifest.Tests;

internal static class TestPods
{
    public static string SeedDir => Path.Combine(AppContext.BaseDirectory, "seeds");

    public static Pod LoadPod(string yaml) => Assert.IsType<Pod>(Assert.Single(ManifestLoader.LoadText(yaml, "test.yaml")));

    /// <summary>A valid pod: 2 init containers (one a sidecar), one app; every optional feature is used somewhere.</summary>
    public const string Full = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: shop
          labels: {app: web, tier: "1"}
          annotations: {note: hello}
        spec:
          restartPolicy: OnFailure
          terminationGracePeriodSeconds: 20
          activeDeadlineSeconds: 600
          shareProcessNamespace: true
          hostname: web-0
          subdomain: svc
          securityContext:
            runAsUser: 1000
            fsGroup: 2000
            sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "0"}]
          initContainers:
          - name: setup
            image: busybox:1.36
            command: [sh, -c, "echo hi > /work/index.html"]
            volumeMounts: [{name: work, mountPath: /work}]
          - name: proxy
            image: envoy:v1
            restartPolicy: Always
            ports: [{name: admin, containerPort: 9901}]
            startupProbe: {tcpSocket: {port: admin}}
            resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
          containers:
          - name: app
            image: nginx:1.27
            args: ["--port", "$(PORT)"]
            workingDir: /srv
            env:
            - {name: PORT, value: "8080"}
            - {name: URL, value: "http://localhost:$(PORT)/"}
            - name: POD
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: MEM
              valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
            ports:
            - {name: http, containerPort: 8080, protocol: TCP}
            resources:
              requests: {cpu: 250m, memory: 64Mi}
              limits: {cpu: 500m, memory: 256Mi}
            volumeMounts:
            - {name: work, mountPath: /usr/share/nginx/html, readOnly: true}
            - {name: info, mountPath: /etc/podinfo}
            livenessProbe:
              httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
              terminationGracePeriodSeconds: 5
            readinessProbe:
              exec: {command: [cat, /tmp/ready]}
              periodSeconds: 5
            lifecycle:
              postStart: {exec: {command: [sh, -c, "true"]}}
              preStop: {sleep: {seconds: 3}}
            securityContext:
              readOnlyRootFilesystem: true
              allowPrivilegeEscalation: false
              capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
          volumes:
          - name: work
            emptyDir: {medium: Memory, sizeLimit: 64Mi}
          - name: info
            downwardAPI:
              items:
              - path: labels
                fieldRef: {fieldPath: metadata.labels}
          - name: host
            hostPath: {path: /var/log, type: Directory}
          - name: token
            projected:
              sources:
              - serviceAccountToken: {path: token, expirationSeconds: 3600}
        """;
}
