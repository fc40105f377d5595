using PodShim.Runtime.Kubectl;

namespace PodShim.UnitTests.Kubectl;

/// <summary>Go's text/tabwriter rules, which decide every column kubectl prints.</summary>
public sealed class TabWriterTests
{
    private static string Lay(string text, int minWidth, int padding, bool remember = false)
    {
        var output = new StringWriter { NewLine = "\n" };
        var w = new TabWriter(output, minWidth, padding, remember);
        w.Write(text);
        w.Flush();
        return output.ToString();
    }

    [Fact]
    public void A_get_table_pads_each_column_to_its_widest_cell_plus_three_and_never_the_last()
    {
        string text = "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\nweb\t1/1\tRunning\t0\t5m\n";
        Assert.Equal(
            "NAME   READY   STATUS    RESTARTS   AGE\n" +
            "web    1/1     Running   0          5m\n", Lay(text, 6, 3));
    }

    [Fact]
    public void The_minimum_width_applies_to_narrow_columns()
    {
        Assert.Equal("a     b\nc     d\n", Lay("a\tb\nc\td\n", 6, 3));
    }

    [Fact]
    public void A_line_without_a_tab_ends_the_column_block()
    {
        // describe: "Containers:" (one cell) separates the header block from the containers' blocks.
        string text = "Name:\tweb\nService Account:\tdefault\nContainers:\n  app:\n    Image:\tbusybox\n";
        Assert.Equal(
            "Name:             web\n" +
            "Service Account:  default\n" +
            "Containers:\n" +
            "  app:\n" +
            "    Image:  busybox\n", Lay(text, 0, 2));
    }

    [Fact]
    public void A_block_holds_only_the_consecutive_lines_that_have_the_column()
    {
        // The second line's only cell is its last: it is not in column 0's block, and it ends the block.
        string text = "aaaa\tb\tc\nx\ny\tz\n";
        Assert.Equal("aaaa  b  c\nx\ny  z\n", Lay(text, 0, 2));
    }

    [Fact]
    public void Inner_columns_form_their_own_blocks()
    {
        string text = "a\tbbbbbb\tc\nd\te\n";
        Assert.Equal("a  bbbbbb  c\nd  e\n", Lay(text, 0, 2));
    }

    [Fact]
    public void Widths_count_characters_not_bytes()
    {
        Assert.Equal("é    x\nab   y\n", Lay("é\tx\nab\ty\n", 0, 3));
    }

    [Fact]
    public void An_empty_cell_is_padded_like_any_other()
    {
        Assert.Equal("IP:   \nIPs:  <none>\n", Lay("IP:\t\nIPs:\t<none>\n", 0, 2));
    }

    [Fact]
    public void Remembered_widths_keep_later_rows_aligned_with_the_header()
    {
        var output = new StringWriter { NewLine = "\n" };
        var w = new TabWriter(output, 6, 3, rememberWidths: true);
        w.Write("NAME\tSTATUS\tAGE\nlongername\tRunning\t1s\n");
        w.Flush();
        w.Write("a\tOK\t2s\n");
        w.Flush();
        Assert.Equal(
            "NAME         STATUS    AGE\n" +
            "longername   Running   1s\n" +
            "a            OK        2s\n", output.ToString());
    }

    [Fact]
    public void Without_remembering_each_flush_lays_out_afresh()
    {
        var output = new StringWriter { NewLine = "\n" };
        var w = new TabWriter(output, 6, 3);
        w.Write("longername\tx\n");
        w.Flush();
        w.Write("a\ty\n");
        w.Flush();
        Assert.Equal("longername   x\na     y\n", output.ToString());
    }
}
