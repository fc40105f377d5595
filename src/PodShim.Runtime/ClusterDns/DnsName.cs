using System.Text;

namespace PodShim.Runtime.ClusterDns;

/// <summary>
/// Domain names in wire form (length-prefixed labels ending with the root label 0), as read from and
/// written to messages. Reading follows compression pointers (RFC 1035 4.1.4) but only backwards: each
/// pointer must aim before the start of the label run that holds it, so a chain of pointers always ends
/// and a loop (or a forward pointer) is a malformed name, never a hang.
/// </summary>
public static class DnsName
{
    /// <summary>
    /// Reads the (possibly compressed) name at <paramref name="offset"/> into <paramref name="name"/>
    /// (at least 255 bytes), uncompressed. <paramref name="end"/> is where the name ends in the message
    /// (after its first pointer or its root label). False for a malformed name.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, int offset, Span<byte> name, out int nameLength, out int end)
    {
        nameLength = 0;
        end = -1;
        int pos = offset;
        int pointerLimit = offset; // a pointer must aim before the run it is found in
        while (true)
        {
            if ((uint)pos >= (uint)message.Length)
                return false;
            byte length = message[pos];
            if (length == 0)
            {
                name[nameLength++] = 0;
                if (end < 0)
                    end = pos + 1;
                return true;
            }
            if ((length & 0xC0) == 0xC0)
            {
                if (pos + 1 >= message.Length)
                    return false;
                int target = ((length & 0x3F) << 8) | message[pos + 1];
                if (end < 0)
                    end = pos + 2;
                if (target >= pointerLimit)
                    return false;
                pointerLimit = target;
                pos = target;
                continue;
            }
            if ((length & 0xC0) != 0)
                return false; // 0x40 and 0x80: extended and reserved label types (RFC 6891 5)
            if (pos + 1 + length > message.Length || nameLength + 1 + length + 1 > DnsHeader.MaxNameLength)
                return false;
            message.Slice(pos, 1 + length).CopyTo(name[nameLength..]);
            nameLength += 1 + length;
            pos += 1 + length;
        }
    }

    /// <summary>Skips a (possibly compressed) name without reading it; -1 when it runs off the message.</summary>
    public static int Skip(ReadOnlySpan<byte> message, int offset)
    {
        int pos = offset;
        int total = 0;
        while (true)
        {
            if ((uint)pos >= (uint)message.Length)
                return -1;
            byte length = message[pos];
            if (length == 0)
                return pos + 1;
            if ((length & 0xC0) == 0xC0)
                return pos + 2 <= message.Length ? pos + 2 : -1;
            if ((length & 0xC0) != 0)
                return -1;
            total += 1 + length;
            if (total + 1 > DnsHeader.MaxNameLength)
                return -1;
            pos += 1 + length;
        }
    }

    /// <summary>Case-insensitive (ASCII) equality of two uncompressed wire names.</summary>
    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length)
            return false;
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i] && Lower(a[i]) != Lower(b[i]))
                return false;
        return true;
    }

    public static byte Lower(byte c) => c is >= (byte)'A' and <= (byte)'Z' ? (byte)(c | 0x20) : c;

    /// <summary>The number of labels before the root.</summary>
    public static int LabelCount(ReadOnlySpan<byte> name)
    {
        int count = 0;
        for (int pos = 0; pos < name.Length && name[pos] != 0; pos += 1 + name[pos])
            count++;
        return count;
    }

    /// <summary>
    /// Splits a wire name into its labels, as ranges of <paramref name="name"/>; returns their number,
    /// or -1 when there are more than <paramref name="labels"/> can hold.
    /// </summary>
    public static int Labels(ReadOnlySpan<byte> name, Span<Range> labels)
    {
        int count = 0;
        for (int pos = 0; pos < name.Length && name[pos] != 0; pos += 1 + name[pos])
        {
            if (count == labels.Length)
                return -1;
            labels[count++] = new Range(pos + 1, pos + 1 + name[pos]);
        }
        return count;
    }

    /// <summary>True when the label equals <paramref name="ascii"/> ignoring ASCII case (<paramref name="ascii"/> is lowercase).</summary>
    public static bool LabelIs(ReadOnlySpan<byte> label, ReadOnlySpan<byte> ascii)
    {
        if (label.Length != ascii.Length)
            return false;
        for (int i = 0; i < label.Length; i++)
            if (Lower(label[i]) != ascii[i])
                return false;
        return true;
    }

    /// <summary>
    /// Encodes a dotted name ("myservice.default.svc.cluster.local", trailing dot optional) in wire form.
    /// Returns the length, or -1 when a label is empty or longer than 63 or the name longer than 255.
    /// </summary>
    public static int Encode(string dotted, Span<byte> destination)
    {
        string s = dotted.EndsWith('.') ? dotted[..^1] : dotted;
        int pos = 0;
        if (s.Length > 0)
        {
            foreach (Range r in s.AsSpan().Split('.'))
            {
                var label = s.AsSpan()[r];
                if (label.Length is 0 or > 63 || pos + 1 + label.Length + 1 > DnsHeader.MaxNameLength || pos + 1 + label.Length + 1 > destination.Length)
                    return -1;
                destination[pos++] = (byte)label.Length;
                foreach (char c in label)
                {
                    if (c > 0x7F)
                        return -1;
                    destination[pos++] = (byte)c;
                }
            }
        }
        if (pos >= destination.Length)
            return -1;
        destination[pos++] = 0;
        return pos;
    }

    /// <summary>The dotted, lowercase presentation of a wire name ("." for the root); bytes outside printable ASCII as \DDD.</summary>
    public static string ToText(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0 || name[0] == 0)
            return ".";
        var sb = new StringBuilder(name.Length);
        for (int pos = 0; pos < name.Length && name[pos] != 0; pos += 1 + name[pos])
        {
            if (sb.Length > 0)
                sb.Append('.');
            foreach (byte b in name.Slice(pos + 1, name[pos]))
            {
                byte c = Lower(b);
                if (c is > 0x20 and < 0x7F and not (byte)'.' and not (byte)'\\')
                    sb.Append((char)c);
                else
                    sb.Append('\\').Append(((int)c).ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }
}
