using System.Diagnostics;
using System.Text;

namespace PodShim.Manifest.Tests;

public class FuzzTests
{
    private static readonly string[] Replacements =
        ["[]", "{}", "null", "0", "-1", "99999999999999999999", "\"x\"", "yes", "1.5", "~", "[1, {a: b}]", "\"\"", "!!str 1", "&a x", "*a", "'", "{", "\t", "1e400", "-0.0"];

    private static string Mutate(string text, Random rng)
    {
        var lines = text.Split('\n').ToList();
        int i = rng.Next(lines.Count);
        switch (rng.Next(8))
        {
            case 0: // delete a line
                lines.RemoveAt(i);
                break;
            case 1: // duplicate a line
                lines.Insert(i, lines[i]);
                break;
            case 2: // retype a value
            {
                string line = lines[i];
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon >= 0) lines[i] = line[..(colon + 2)] + Replacements[rng.Next(Replacements.Length)];
                else lines[i] = line + " " + Replacements[rng.Next(Replacements.Length)];
                break;
            }
            case 3: // truncate
                return text[..rng.Next(text.Length)];
            case 4: // random bytes somewhere
            {
                var sb = new StringBuilder(text);
                int n = rng.Next(1, 8);
                for (int k = 0; k < n; k++) sb.Insert(rng.Next(sb.Length), (char)rng.Next(0, 0x3000));
                return sb.ToString();
            }
            case 5: // change indentation
                lines[i] = (rng.Next(2) == 0 ? "  " : "") + lines[i].TrimStart(' ')[..Math.Min(lines[i].TrimStart(' ').Length, lines[i].Length)];
                break;
            case 6: // swap two lines
            {
                int j = rng.Next(lines.Count);
                (lines[i], lines[j]) = (lines[j], lines[i]);
                break;
            }
            default: // rename a key
            {
                string line = lines[i];
                int colon = line.IndexOf(':');
                if (colon > 0) lines[i] = line[..colon] + "x" + line[colon..];
                break;
            }
        }
        return string.Join('\n', lines);
    }

    [Fact]
    public void MutatedManifestsOnlyEverFailWithManifestErrors()
    {
        var corpus = Directory.GetFiles(TestPods.SeedDir, "*.yaml").Select(File.ReadAllText).Append(TestPods.Full).ToArray();
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PODSHIM_FUZZ_SEED"), out var s) ? s : 20240601;
        var rng = new Random(seed);
        var sw = Stopwatch.StartNew();
        int cases = 0, loaded = 0, rejected = 0;
        while (cases < 20_000)
        {
            string text = corpus[rng.Next(corpus.Length)];
            int rounds = rng.Next(1, 4);
            for (int r = 0; r < rounds; r++) text = Mutate(text, rng);
            cases++;
            try
            {
                foreach (var obj in ManifestLoader.LoadText(text, "fuzz.yaml"))
                {
                    _ = obj switch
                    {
                        Pod pod => PodValidation.Validate(pod).Count + PodResources.Compute(pod.Spec).Containers.Count,
                        Service svc => ServiceValidation.Validate(svc).Count,
                        _ => 0,
                    };
                }
                loaded++;
            }
            catch (ManifestException e)
            {
                Assert.DoesNotContain('\n', e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, case {cases}: {e}\n--- input ---\n{text}");
            }
        }
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"{cases} cases took {sw.Elapsed}");
        Assert.True(loaded > 1000 && rejected > 1000, $"loaded {loaded}, rejected {rejected}");
    }
}

public class AliasBombTests
{
    [Fact]
    public void AliasExpansionIsBounded()
    {
        var sb = new System.Text.StringBuilder("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {}\nx0: &a0 [lol]\n");
        for (int i = 1; i < 30; i++) sb.Append($"x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        var ex = Assert.Throws<ManifestException>(() => ManifestLoader.LoadText(sb.ToString(), "bomb.yaml"));
        Assert.Contains("too many nodes after alias expansion", ex.Message);
    }
}
