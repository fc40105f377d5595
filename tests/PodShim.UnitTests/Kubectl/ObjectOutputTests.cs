using System.Text.Json;
using System.Text.Json.Nodes;
using PodShim.Manifest;
using PodShim.Runtime.Kubectl;
using PodShim.Runtime.Pods;
using PodShim.Runtime.Status;
using static PodShim.UnitTests.Status.F;

namespace PodShim.UnitTests.Kubectl;

/// <summary>`-o json`, `-o yaml`, `-o name`: v1 objects as kubectl prints them.</summary>
public sealed class ObjectOutputTests
{
    private static JsonObject WebObject(out Pod pod, out PodRecord record)
    {
        pod = DescribeOutputTests.Web();
        record = PodRecord.For(pod, Now - TimeSpan.FromMinutes(6), "node1");
        return PodObject.Build(pod, record, DescribeOutputTests.WebStatus());
    }

    [Fact]
    public void Json_is_a_v1_Pod_the_strict_manifest_reader_takes_back_unchanged()
    {
        string json = ObjectPrinter.Json(WebObject(out _, out PodRecord record));
        using JsonDocument doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        Assert.Equal("v1", root.GetProperty("apiVersion").GetString());
        Assert.Equal("Pod", root.GetProperty("kind").GetString());
        Assert.Equal("web", root.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("shop", root.GetProperty("metadata").GetProperty("namespace").GetString());
        Assert.Equal("2026-11-22T06:08:00Z", root.GetProperty("metadata").GetProperty("creationTimestamp").GetString());
        Assert.Equal("Burstable", root.GetProperty("status").GetProperty("qosClass").GetString());
        Assert.Contains(root.GetProperty("status").GetProperty("phase").GetString(), new[] { "Pending", "Running", "Succeeded", "Failed", "Unknown" });
        Assert.False(root.GetProperty("status").TryGetProperty("podshimDeleting", out _));
        // Every spec field has a v1 name and type: the strict reader (unknown fields are errors) reads it back to the same object.
        Pod reread = ManifestLoader.LoadText(json, "out.json").OfType<Pod>().Single();
        Assert.Equal(json, ObjectPrinter.Json(PodObject.Build(reread, record, DescribeOutputTests.WebStatus())));
        // The status is a v1 PodStatus with the same content.
        PodStatusInfo status = PodStatusJson.Read(root.GetProperty("status"));
        Assert.Equal(DescribeOutputTests.WebStatus(), status);
    }

    [Fact]
    public void Json_has_four_space_indents_sorted_keys_and_gos_html_escapes()
    {
        var node = new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["metadata"] = new JsonObject { ["name"] = "a&b<c>" }, ["list"] = new JsonArray(1, 2), ["empty"] = new JsonObject(), ["none"] = new JsonArray() };
        Assert.Equal("""
            {
                "apiVersion": "v1",
                "empty": {},
                "kind": "Pod",
                "list": [
                    1,
                    2
                ],
                "metadata": {
                    "name": "a\u0026b\u003cc\u003e"
                },
                "none": []
            }

            """.ReplaceLineEndings("\n"), ObjectPrinter.Json(node));
    }

    [Fact]
    public void Yaml_follows_go_yaml_layout_and_reads_back_to_the_same_pod()
    {
        JsonObject obj = WebObject(out _, out PodRecord record);
        string yaml = ObjectPrinter.Yaml(obj);
        Assert.StartsWith("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    team: payments\n  creationTimestamp: \"2026-11-22T06:08:00Z\"\n  labels:\n    app: web\n    tier: front\n  name: web\n", yaml);
        // Sequences are not indented under their key; a mapping in a sequence starts on the dash's line.
        Assert.Contains("spec:\n  containers:\n  - env:\n    - name: MODE\n      value: fast\n", yaml);
        Assert.Contains("  initContainers:\n  - command:\n    - sh\n    - -c\n    - echo ready > /data/ready\n    image: busybox\n", yaml);
        Pod reread = ManifestLoader.LoadText(yaml, "out.yaml").OfType<Pod>().Single();
        Assert.Equal(ObjectPrinter.Json(obj), ObjectPrinter.Json(PodObject.Build(reread, record, DescribeOutputTests.WebStatus())));
    }

    [Theory]
    [InlineData("busybox", "busybox")]
    [InlineData("-c", "-c")]
    [InlineData("", "\"\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("on", "\"on\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("123", "\"123\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData("1e3", "\"1e3\"")]
    [InlineData("2026-11-22T06:08:00Z", "\"2026-11-22T06:08:00Z\"")]
    [InlineData("2026-11-22", "\"2026-11-22\"")]
    [InlineData("a: b", "'a: b'")]
    [InlineData("it's: x", "'it''s: x'")]
    [InlineData("- item", "'- item'")]
    [InlineData("#comment", "'#comment'")]
    [InlineData("x #y", "'x #y'")]
    [InlineData("ends:", "'ends:'")]
    [InlineData(" lead", "' lead'")]
    [InlineData("*star", "'*star'")]
    [InlineData("echo $(date); sleep 3600 & wait", "echo $(date); sleep 3600 & wait")]
    [InlineData("http://x:80/path", "http://x:80/path")]
    [InlineData("128Mi", "128Mi")]
    [InlineData("500m", "500m")]
    public void Yaml_strings_are_quoted_only_when_they_would_read_back_as_something_else(string value, string expected)
    {
        Assert.Equal(expected, ObjectPrinter.YamlScalar(value, 2));
    }

    [Fact]
    public void A_multi_line_string_is_a_literal_block()
    {
        var node = new JsonObject { ["script"] = "echo a\necho b", ["list"] = new JsonArray("x\ny\n") };
        Assert.Equal("list:\n- |\n  x\n  y\nscript: |-\n  echo a\n  echo b\n", ObjectPrinter.Yaml(node));
    }

    [Fact]
    public void Several_objects_are_a_v1_List()
    {
        JsonObject list = PodObject.List([new JsonObject { ["kind"] = "Pod" }]);
        Assert.Equal("""
            {
                "apiVersion": "v1",
                "items": [
                    {
                        "kind": "Pod"
                    }
                ],
                "kind": "List",
                "metadata": {
                    "resourceVersion": ""
                }
            }

            """.ReplaceLineEndings("\n"), ObjectPrinter.Json(list));
        Assert.Equal("apiVersion: v1\nitems:\n- kind: Pod\nkind: List\nmetadata:\n  resourceVersion: \"\"\n", ObjectPrinter.Yaml(list));
    }

    [Fact]
    public void A_deleted_pod_carries_its_deletion_timestamp_and_grace()
    {
        Pod pod = DescribeOutputTests.Web();
        JsonObject obj = PodObject.Build(pod, PodRecord.For(pod, Now, "n"), DescribeOutputTests.WebStatus() with { Deleting = true }, Now, 5);
        Assert.Equal("2026-11-22T06:14:00Z", obj["metadata"]!["deletionTimestamp"]!.GetValue<string>());
        Assert.Equal(5, obj["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());
    }
}
