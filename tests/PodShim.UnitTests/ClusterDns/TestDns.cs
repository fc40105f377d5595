using System.Buffers.Binary;
using System.Text;

namespace PodShim.UnitTests.ClusterDns;

/// <summary>
/// A DNS message reader and query writer for the tests, written independently of the production
/// wire code so that round trips check one implementation against another.
/// </summary>
internal static class TestDns
{
    public sealed record Record(string Name, ushort Type, ushort Class, uint Ttl, byte[] Data, string? DataName);

    public sealed record Message(ushort Id, ushort Flags, IReadOnlyList<(string Name, ushort Type, ushort Class)> Questions,
        IReadOnlyList<Record> Answers, IReadOnlyList<Record> Authorities, IReadOnlyList<Record> Additionals)
    {
        public int Rcode => Flags & 0xF;
        public bool Truncated => (Flags & 0x0200) != 0;
        public bool Authoritative => (Flags & 0x0400) != 0;
        public bool IsResponse => (Flags & 0x8000) != 0;
        public IEnumerable<string> Addresses => Answers.Where(a => a.Type == 1).Select(a => string.Join('.', a.Data));
    }

    /// <summary>Builds a query: one question, RD set, optionally an OPT record.</summary>
    public static byte[] Query(string name, ushort type = 1, ushort id = 0x1234, int? ednsSize = null, byte ednsVersion = 0,
        ushort flags = 0x0100, ushort qclass = 1)
    {
        var b = new List<byte>();
        void U16(int v) { b.Add((byte)(v >> 8)); b.Add((byte)v); }
        U16(id);
        U16(flags);
        U16(1);
        U16(0);
        U16(0);
        U16(ednsSize is null ? 0 : 1);
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            b.Add((byte)label.Length);
            b.AddRange(Encoding.ASCII.GetBytes(label));
        }
        b.Add(0);
        U16(type);
        U16(qclass);
        if (ednsSize is int size)
        {
            b.Add(0);
            U16(41);
            U16(size);
            b.Add(0);
            b.Add(ednsVersion);
            U16(0);
            U16(0);
        }
        return b.ToArray();
    }

    public static Message Parse(ReadOnlySpan<byte> m)
    {
        if (m.Length < 12)
            throw new FormatException($"message of {m.Length} bytes");
        ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
        int qd = U16(m, 4), an = U16(m, 6), ns = U16(m, 8), ar = U16(m, 10);
        int pos = 12;
        var questions = new List<(string, ushort, ushort)>();
        for (int i = 0; i < qd; i++)
        {
            string name = ReadName(m, ref pos);
            questions.Add((name, U16(m, pos), U16(m, pos + 2)));
            pos += 4;
        }
        List<Record> Section(int count, ReadOnlySpan<byte> msg, ref int p)
        {
            var list = new List<Record>();
            for (int i = 0; i < count; i++)
            {
                string name = ReadName(msg, ref p);
                ushort type = U16(msg, p), cls = U16(msg, p + 2);
                uint ttl = BinaryPrimitives.ReadUInt32BigEndian(msg[(p + 4)..]);
                int len = U16(msg, p + 8);
                p += 10;
                if (p + len > msg.Length)
                    throw new FormatException("rdata past the end");
                string? dataName = null;
                if (type is 5 or 12)
                {
                    int q = p;
                    dataName = ReadName(msg, ref q);
                    if (q != p + len)
                        throw new FormatException("name rdata length mismatch");
                }
                else if (type == 6)
                {
                    int q = p;
                    dataName = ReadName(msg, ref q) + " " + ReadName(msg, ref q);
                    if (q + 20 != p + len)
                        throw new FormatException("SOA rdata length mismatch");
                }
                list.Add(new Record(name, type, cls, ttl, msg.Slice(p, len).ToArray(), dataName));
                p += len;
            }
            return list;
        }
        var answers = Section(an, m, ref pos);
        var authorities = Section(ns, m, ref pos);
        var additionals = Section(ar, m, ref pos);
        if (pos != m.Length)
            throw new FormatException($"{m.Length - pos} bytes after the last record");
        return new Message(U16(m, 0), U16(m, 2), questions, answers, authorities, additionals);
    }

    /// <summary>Reads a name, following pointers (at most 64 hops; any target must be inside the message).</summary>
    public static string ReadName(ReadOnlySpan<byte> m, ref int pos)
    {
        var labels = new List<string>();
        int p = pos, hops = 0;
        bool jumped = false;
        while (true)
        {
            byte len = m[p];
            if (len == 0)
            {
                if (!jumped)
                    pos = p + 1;
                break;
            }
            if ((len & 0xC0) == 0xC0)
            {
                if (++hops > 64)
                    throw new FormatException("pointer loop");
                if (!jumped)
                    pos = p + 2;
                jumped = true;
                p = ((len & 0x3F) << 8) | m[p + 1];
                continue;
            }
            labels.Add(Encoding.ASCII.GetString(m.Slice(p + 1, len)));
            p += 1 + len;
        }
        return labels.Count == 0 ? "." : string.Join('.', labels);
    }
}
