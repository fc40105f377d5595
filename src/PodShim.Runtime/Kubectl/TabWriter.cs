using System.Text;

namespace PodShim.Runtime.Kubectl;

/// <summary>
/// Go's text/tabwriter, which lays out everything kubectl prints in columns, with its exact rules: cells end at a
/// tab; a column block is a run of consecutive lines that have a cell in that column which is not their last cell;
/// a column is as wide as its widest cell plus the padding (at least the minimum width); the last cell of a line is
/// never padded; a line without any tab ends every block (the writer flushes). kubectl uses
/// (minwidth 6, padding 3, RememberWidths) for `get` tables and (minwidth 0, padding 2) for `describe`.
/// With <see cref="RememberWidths"/> (liggitt/tabwriter, kubectl's fork) a column never shrinks across flushes,
/// so `get -w` rows stay aligned with the header.
/// </summary>
public sealed class TabWriter
{
    private readonly TextWriter _out;
    private readonly int _minWidth;
    private readonly int _padding;
    private readonly List<List<string>> _lines = [[]];
    private readonly StringBuilder _cell = new();
    private readonly List<int> _widths = [];
    private readonly List<int> _remembered = [];

    public TabWriter(TextWriter output, int minWidth, int padding, bool rememberWidths = false)
    {
        _out = output;
        _minWidth = minWidth;
        _padding = padding;
        RememberWidths = rememberWidths;
    }

    public bool RememberWidths { get; }

    /// <summary>kubectl get's table writer (printers.GetNewTabWriter).</summary>
    public static TabWriter ForTable(TextWriter output) => new(output, 6, 3, rememberWidths: true);

    /// <summary>kubectl describe's writer (tabbedString).</summary>
    public static TabWriter ForDescribe(TextWriter output) => new(output, 0, 2);

    public void Write(string text)
    {
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '\t':
                    TerminateCell();
                    break;
                case '\n':
                    TerminateCell();
                    int cells = _lines[^1].Count;
                    _lines.Add([]);
                    // A line with one cell cannot shape the lines after it: everything so far can be laid out.
                    if (cells == 1)
                        Flush();
                    break;
                default:
                    _cell.Append(ch);
                    break;
            }
        }
    }

    public void Flush()
    {
        if (_cell.Length > 0)
            TerminateCell();
        Format(0, _lines.Count);
        _lines.Clear();
        _lines.Add([]);
        _widths.Clear();
    }

    private void TerminateCell()
    {
        _lines[^1].Add(_cell.ToString());
        _cell.Clear();
    }

    private void Format(int line0, int line1)
    {
        int column = _widths.Count;
        for (int current = line0; current < line1; current++)
        {
            if (column >= _lines[current].Count - 1)
                continue;
            // A cell in this column: print the lines before the block, then find the block's extent and width.
            WriteLines(line0, current);
            line0 = current;
            int width = _minWidth;
            for (; current < line1; current++)
            {
                List<string> line = _lines[current];
                if (column >= line.Count - 1)
                    break;
                width = Math.Max(width, Width(line[column]) + _padding);
            }
            if (RememberWidths)
            {
                while (_remembered.Count <= column)
                    _remembered.Add(0);
                width = Math.Max(width, _remembered[column]);
                _remembered[column] = width;
            }
            _widths.Add(width);
            Format(line0, current);
            _widths.RemoveAt(_widths.Count - 1);
            line0 = current;
        }
        WriteLines(line0, line1);
    }

    private void WriteLines(int line0, int line1)
    {
        for (int i = line0; i < line1; i++)
        {
            List<string> line = _lines[i];
            for (int j = 0; j < line.Count; j++)
            {
                _out.Write(line[j]);
                if (j < _widths.Count)
                    _out.Write(new string(' ', Math.Max(0, _widths[j] - Width(line[j]))));
            }
            // The last buffered line has no newline yet (a flush in the middle of a line).
            if (i + 1 < _lines.Count)
                _out.Write('\n');
        }
    }

    private static int Width(string cell)
    {
        int n = 0;
        foreach (Rune _ in cell.EnumerateRunes())
            n++;
        return n;
    }
}
