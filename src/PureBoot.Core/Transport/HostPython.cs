using System.Reflection;
using System.Text;

namespace PureBoot.Core.Transport;

/// <summary>
/// The python programs PureBoot runs on the storage host (Transport/Shell/*.py, embedded resources), and the bash
/// that writes them into the session's private temp dir ($pb_t, 0700) once per session. They are fixed files:
/// values reach them as arguments or JSON on stdin, never spliced into their text.
/// </summary>
internal static class HostPython
{
    /// <summary>Reads the JSON plan on stdin, applies it with rtslib under targetcli's lock, saves, prints the result.</summary>
    public const string Apply = "rtslib_apply.py";
    /// <summary>argv: kind path sessions(0|1). Prints live config, save file, version, storage listing, sessions.</summary>
    public const string Snapshot = "rtslib_snapshot.py";
    /// <summary>Imported by both: rtslib_fb with fast configfs I/O and a linear dump.</summary>
    public const string Common = "rtslib_common.py";

    static readonly string[] Files = { Common, Snapshot, Apply };
    static readonly Dictionary<string, string> Cache = new();

    public static string Text(string file)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(file, out var t)) return t;
            using var s = typeof(HostPython).Assembly.GetManifestResourceStream("PureBoot.Shell." + file)
                ?? throw new InvalidOperationException($"The embedded resource PureBoot.Shell.{file} is missing from {typeof(HostPython).Assembly.GetName().Name}.");
            using var r = new StreamReader(s, new UTF8Encoding(false));
            return Cache[file] = r.ReadToEnd().Replace("\r\n", "\n");
        }
    }

    /// <summary>Path of a program in the session's temp dir, for a bash command line.</summary>
    public static string PathOf(string file) => $"\"$pb_t/{file}\"";

    /// <summary>Bash that writes every program into $pb_t (quoted heredocs: no expansion).</summary>
    public static string Install(string nonce)
    {
        var end = $"PB_PY_{nonce}";
        var sb = new StringBuilder();
        foreach (var f in Files)
        {
            var text = Text(f);
            if (text.Split('\n').Contains(end)) throw new InvalidOperationException($"{f} contains the heredoc delimiter.");
            sb.Append($"cat >{PathOf(f)} <<'{end}'\n").Append(text);
            if (!text.EndsWith('\n')) sb.Append('\n');
            sb.Append(end).Append('\n');
        }
        return sb.ToString();
    }
}
