using System.Text.RegularExpressions;

namespace PureBoot.Core.Lio;

/// <summary>An initiator logged in to the target, from <c>targetcli sessions detail</c>.</summary>
public sealed class IscsiSession
{
    public int Sid { get; init; }
    public string InitiatorIqn { get; init; } = "";
    public bool Authenticated { get; init; }
    public string State { get; init; } = "";
    public IReadOnlyList<(int MappedLun, string Backstore, string Mode)> MappedLuns { get; init; } = Array.Empty<(int, string, string)>();
    public IReadOnlyList<string> Addresses { get; init; } = Array.Empty<string>();
    public override string ToString() => $"sid {Sid} {InitiatorIqn} {State}";
}

public static partial class SessionsDetailParser
{
    [GeneratedRegex(@"^alias:\s*(?<alias>\S*)\s+sid:\s*(?<sid>\d+)\s+type:\s*(?<type>\S+)\s+session-state:\s*(?<state>\S+)")] private static partial Regex Head();
    [GeneratedRegex(@"^\s+name:\s*(?<name>\S+)\s*(?<auth>\((?:NOT )?AUTHENTICATED\))?")] private static partial Regex Name();
    [GeneratedRegex(@"^\s+mapped-lun:\s*(?<lun>\d+)\s+backstore:\s*(?<bs>\S+)\s+mode:\s*(?<mode>\S+)")] private static partial Regex Mapped();
    [GeneratedRegex(@"^\s+address:\s*(?<addr>\S+)")] private static partial Regex Address();

    public static IReadOnlyList<IscsiSession> Parse(string? text)
    {
        var list = new List<IscsiSession>();
        if (string.IsNullOrWhiteSpace(text)) return list;
        int sid = 0; string state = "", name = ""; bool auth = false;
        List<(int, string, string)>? luns = null; List<string>? addrs = null;
        void Flush()
        {
            if (luns is null) return;
            list.Add(new IscsiSession { Sid = sid, State = state, InitiatorIqn = name, Authenticated = auth, MappedLuns = luns, Addresses = addrs! });
        }
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            Match m;
            if ((m = Head().Match(line)).Success)
            {
                Flush();
                sid = int.Parse(m.Groups["sid"].Value); state = m.Groups["state"].Value; name = ""; auth = false;
                luns = new(); addrs = new();
            }
            else if (luns is null) continue;
            else if ((m = Name().Match(line)).Success) { name = m.Groups["name"].Value; auth = m.Groups["auth"].Value == "(AUTHENTICATED)"; }
            else if ((m = Mapped().Match(line)).Success) luns.Add((int.Parse(m.Groups["lun"].Value), m.Groups["bs"].Value, m.Groups["mode"].Value));
            else if ((m = Address().Match(line)).Success) addrs!.Add(m.Groups["addr"].Value);
        }
        Flush();
        return list;
    }
}
