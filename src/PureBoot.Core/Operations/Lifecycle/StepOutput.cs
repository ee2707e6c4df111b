using System.Globalization;

namespace PureBoot.Core.Operations;

/// <summary>Reads what the lifecycle's host steps print (see ShellScripts: pb_measure, pb_inspect, pb_clone, pb_missing).</summary>
internal static class StepOutput
{
    static long? L(string s) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>
    /// "file SIZE BLOCKS BLOCKSIZE [MAGIC]" or "lv SIZE DATA% [MAPPED SECTORS]" (dmsetup's count for a thin volume, exact
    /// where lvs rounds the percentage to two decimals): the size and the bytes allocated.
    /// </summary>
    public static (long Size, long Allocated)? Measure(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("file ", StringComparison.Ordinal) || l.StartsWith("lv ", StringComparison.Ordinal));
        if (line is null) return null;
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f[0] == "file" && f.Length >= 4 && L(f[1]) is { } size && L(f[2]) is { } blocks && L(f[3]) is { } bs) return (size, blocks * bs);
        if (f[0] == "lv" && f.Length >= 2 && L(f[1]) is { } lvSize)
        {
            if (f.Length >= 4 && L(f[3]) is { } sectors) return (lvSize, sectors * 512);
            var pct = f.Length >= 3 && double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p : 100;
            return (lvSize, (long)Math.Round(lvSize * pct / 100));
        }
        return null;
    }

    /// <summary>The first 8 bytes (hex) pb_inspect printed after the size.</summary>
    public static string Magic(string output)
    {
        var line = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("file ", StringComparison.Ordinal)) ?? "";
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return f.Length >= 5 ? f[4] : "";
    }

    /// <summary>What a file's first bytes say it is, when it is a container format a node cannot boot as a raw disk.</summary>
    public static string? ContainerFormat(string magicHex) => magicHex switch
    {
        var m when m.StartsWith("514649fb", StringComparison.Ordinal) => "a qcow2 image",
        var m when m.StartsWith("4b444d56", StringComparison.Ordinal) => "a VMDK image",
        var m when m.StartsWith("7668647866696c65", StringComparison.Ordinal) => "a VHDX image",
        var m when m.StartsWith("3c3c3c20", StringComparison.Ordinal) => "a VirtualBox VDI image",
        var m when m.StartsWith("636f6e6563746978", StringComparison.Ordinal) => "a VHD image (conectix footer at the start)",
        _ => null,
    };

    /// <summary>How a clone was made, from pb_clone/pb_replace/pb_thin_*: "reflink", "thin", or "copy: why".</summary>
    public static string Method(string output) =>
        output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l is "reflink" or "thin" || l.StartsWith("copy", StringComparison.Ordinal)) ?? "";

    public static IReadOnlyList<string> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
