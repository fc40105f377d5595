using System.Text.RegularExpressions;

namespace PodShim.Manifest;

/// <summary>k8s.io/apimachinery/pkg/util/validation: names, labels, ports, with their messages.</summary>
public static partial class NameValidation
{
    private const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123LabelErrMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    private const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    private const string Dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    private const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1035LabelErrMsg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueFmt = "(" + QualifiedNameFmt + ")?";
    private const string LabelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string HttpHeaderNameFmt = "[-A-Za-z0-9]+";
    private const string HttpHeaderNameErrMsg = "a valid HTTP header must consist of alphanumeric characters or '-'";
    internal const string SysctlSegmentFmt = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?";
    internal const string SysctlContainSlashFmt = "(" + SysctlSegmentFmt + "[\\./])*" + SysctlSegmentFmt;

    [GeneratedRegex("^" + Dns1123LabelFmt + "$")] private static partial Regex Dns1123LabelRegex();
    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")] private static partial Regex Dns1123SubdomainRegex();
    [GeneratedRegex("^" + Dns1035LabelFmt + "$")] private static partial Regex Dns1035LabelRegex();
    [GeneratedRegex("^" + QualifiedNameFmt + "$")] private static partial Regex QualifiedNameRegex();
    [GeneratedRegex("^" + LabelValueFmt + "$")] private static partial Regex LabelValueRegex();
    [GeneratedRegex("^" + HttpHeaderNameFmt + "$")] private static partial Regex HttpHeaderNameRegex();
    [GeneratedRegex("^" + SysctlContainSlashFmt + "$")] private static partial Regex SysctlRegex();
    [GeneratedRegex("^[-a-z0-9]+$")] private static partial Regex PortNameCharsetRegex();
    [GeneratedRegex("[a-z]")] private static partial Regex PortNameOneLetterRegex();

    // Go's regexp `$` does not match before a trailing newline; .NET's does. Guard with this.
    private static bool Full(Regex re, string s) => !s.EndsWith('\n') && re.IsMatch(s);

    public static string MaxLenError(int length) => $"must be no more than {length} characters";
    public static string InclusiveRangeError(long lo, long hi) => $"must be between {lo} and {hi}, inclusive";
    public const string EmptyError = "must be non-empty";

    public static string RegexError(string msg, string fmt, params string[] examples)
    {
        if (examples.Length == 0) return msg + " (regex used for validation is '" + fmt + "')";
        msg += " (e.g. ";
        for (int i = 0; i < examples.Length; i++)
        {
            if (i > 0) msg += " or ";
            msg += "'" + examples[i] + "', ";
        }
        return msg + "regex used for validation is '" + fmt + "')";
    }

    public static List<string> IsDns1123Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLenError(63));
        if (!Full(Dns1123LabelRegex(), value))
        {
            errs.Add(Full(Dns1123SubdomainRegex(), value)
                ? "must not contain dots"
                : RegexError(Dns1123LabelErrMsg, Dns1123LabelFmt, "my-name", "123-abc"));
        }
        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > 253) errs.Add(MaxLenError(253));
        if (!Full(Dns1123SubdomainRegex(), value)) errs.Add(RegexError(Dns1123SubdomainErrMsg, Dns1123SubdomainFmt, "example.com"));
        return errs;
    }

    public static List<string> IsDns1035Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLenError(63));
        if (!Full(Dns1035LabelRegex(), value)) errs.Add(RegexError(Dns1035LabelErrMsg, Dns1035LabelFmt, "my-name", "abc-123"));
        return errs;
    }

    public static List<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                string prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0) errs.Add("prefix part " + EmptyError);
                else errs.AddRange(IsDns1123Subdomain(prefix).Select(m => "prefix part " + m));
                break;
            default:
                errs.Add("a qualified name " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }
        if (name.Length == 0) errs.Add("name part " + EmptyError);
        else if (name.Length > 63) errs.Add("name part " + MaxLenError(63));
        if (!Full(QualifiedNameRegex(), name)) errs.Add("name part " + RegexError(QualifiedNameErrMsg, QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        return errs;
    }

    public static List<string> IsValidLabelValue(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLenError(63));
        if (!Full(LabelValueRegex(), value)) errs.Add(RegexError(LabelValueErrMsg, LabelValueFmt, "MyValue", "my_value", "12345"));
        return errs;
    }

    public static List<string> IsValidPortNum(long port) =>
        port is >= 1 and <= 65535 ? [] : [InclusiveRangeError(1, 65535)];

    public static List<string> IsValidPortName(string port)
    {
        var errs = new List<string>();
        if (port.Length > 15) errs.Add(MaxLenError(15));
        if (!Full(PortNameCharsetRegex(), port)) errs.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!PortNameOneLetterRegex().IsMatch(port)) errs.Add("must contain at least one letter (a-z)");
        if (port.Contains("--", StringComparison.Ordinal)) errs.Add("must not contain consecutive hyphens");
        if (port.Length > 0 && (port[0] == '-' || port[^1] == '-')) errs.Add("must not begin or end with a hyphen");
        return errs;
    }

    /// <summary>IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default since 1.32).</summary>
    public static List<string> IsEnvVarName(string value)
    {
        var errs = new List<string>();
        if (value.Length == 0) errs.Add("environment variable name " + EmptyError);
        foreach (char c in value)
        {
            if (c > 127 || c < 32 || c == 127 || c == '=')
            {
                errs.Add("a valid environment variable name must consist only of printable ASCII characters other than '='");
                break;
            }
        }
        return errs;
    }

    public static List<string> IsHttpHeaderName(string value) =>
        Full(HttpHeaderNameRegex(), value) ? [] : [RegexError(HttpHeaderNameErrMsg, HttpHeaderNameFmt, "X-Header-Name")];

    public static bool IsValidSysctlName(string name) => name.Length <= 253 && Full(SysctlRegex(), name);

    public static List<string> IsValidUserOrGroupId(long id) =>
        id is >= 0 and <= int.MaxValue ? [] : [InclusiveRangeError(0, int.MaxValue)];

    public static bool IsValidIP(string value) =>
        System.Net.IPAddress.TryParse(value, out var ip) && (value.Contains(':') || value.Count(c => c == '.') == 3) && !value.Contains('%')
        && ip is not null;
}
