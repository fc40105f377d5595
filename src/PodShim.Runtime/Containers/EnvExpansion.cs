using System.Text;

namespace PodShim.Runtime.Containers;

/// <summary>Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): $$ escapes, unknown references stay as written.</summary>
public static class EnvExpansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        if (!input.Contains('$'))
            return input;
        var sb = new StringBuilder(input.Length);
        for (int i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                sb.Append(input[i]);
                continue;
            }
            char next = input[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i++;
            }
            else if (next == '(')
            {
                int close = input.IndexOf(')', i + 2);
                if (close < 0)
                {
                    // Incomplete reference: kept as written, and scanning goes on after "$(".
                    sb.Append("$(");
                    i++;
                    continue;
                }
                string name = input[(i + 2)..close];
                string? value = name.Length > 0 ? lookup(name) : null;
                sb.Append(value ?? input[i..(close + 1)]);
                i = close;
            }
            else
            {
                sb.Append('$').Append(next);
                i++;
            }
        }
        return sb.ToString();
    }
}
