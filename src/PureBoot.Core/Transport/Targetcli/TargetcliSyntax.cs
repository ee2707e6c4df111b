using System.Globalization;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Targetcli;

/// <summary>
/// Everything PureBoot knows of targetcli 2.1.53's language: how a <see cref="LioChange"/> is written as command
/// lines, and how its console output reads (see tests/Unit/Fixtures/targetcli-2.1.53). Arguments are values
/// InputValidator allowed (names, IQNs, plain paths, numbers, CHAP values of [A-Za-z0-9._:+~-]), so none can carry
/// targetcli or shell syntax.
/// </summary>
public static class TargetcliSyntax
{
    public const string Prompt = "/> ";

    /// <summary>The wrapper of every script: no auto-save on exit (PureBoot saves once, explicitly).</summary>
    public const string NoAutoSave = "set global auto_save_on_exit=false";
    public const string SaveConfig = "saveconfig";

    /// <summary>targetcli's <c>/iscsi create</c> adds this portal by itself.</summary>
    public const string DefaultPortalAddress = "0.0.0.0";
    public const int DefaultPortalPort = 3260;

    static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    static string Tpg(string target) => $"/iscsi/{target}/tpg1";
    static string Acl(string target, string initiator) => $"{Tpg(target)}/acls/{initiator}";

    /// <summary>The command lines of one change, in order.</summary>
    public static IEnumerable<string> Lines(LioChange change)
    {
        switch (change)
        {
            case CreateStorageObject c when c.Plugin == "fileio":
                // For an existing file, which gives the size (PureBoot creates it sparse beforehand).
                yield return $"/backstores/fileio create name={c.Name} file_or_dev={c.Dev}";
                break;
            case CreateStorageObject c:
                yield return $"/backstores/{c.Plugin} create name={c.Name} dev={c.Dev}";
                break;
            case DeleteStorageObject c:
                yield return $"/backstores/{c.Plugin} delete {c.Name}";
                break;
            case CreateTarget c:
                yield return $"/iscsi create {c.Wwn}";
                if (c.PortalAddress != DefaultPortalAddress || c.PortalPort != DefaultPortalPort)
                {
                    yield return $"{Tpg(c.Wwn)}/portals delete {DefaultPortalAddress} {N(DefaultPortalPort)}";
                    yield return $"{Tpg(c.Wwn)}/portals create {c.PortalAddress} {N(c.PortalPort)}";
                }
                break;
            case DeleteTarget c:
                yield return $"/iscsi delete {c.Wwn}";
                break;
            case SetTpgAttributes c:
                yield return $"{Tpg(c.Target)} set attribute {string.Join(" ", c.Attributes.Select(a => $"{a.Key}={a.Value}"))}";
                break;
            case CreatePortal c:
                yield return $"{Tpg(c.Target)}/portals create {c.Address} {N(c.Port)}";
                break;
            case DeletePortal c:
                yield return $"{Tpg(c.Target)}/portals delete {c.Address} {N(c.Port)}";
                break;
            case CreateLun c:
                // add_mapped_luns=false: otherwise LIO maps the new LUN into every existing ACL.
                yield return $"{Tpg(c.Target)}/luns create {c.StorageObjectPath} lun={N(c.Index)} add_mapped_luns=false";
                break;
            case DeleteLun c:
                yield return $"{Tpg(c.Target)}/luns delete lun{N(c.Index)}";
                break;
            case CreateNodeAcl c:
                // add_mapped_luns=false: otherwise the new ACL sees every LUN of the TPG.
                yield return $"{Tpg(c.Target)}/acls create {c.Initiator} add_mapped_luns=false";
                break;
            case DeleteNodeAcl c:
                yield return $"{Tpg(c.Target)}/acls delete {c.Initiator}";
                break;
            case SetNodeAclAuthentication c:
                yield return $"{Acl(c.Target, c.Initiator)} set attribute authentication={(c.Required ? 1 : 0)}";
                break;
            case SetNodeAclChap c:
                yield return c.Chap.Mutual
                    ? $"{Acl(c.Target, c.Initiator)} set auth userid={c.Chap.User} password={c.Chap.Secret} mutual_userid={c.Chap.MutualUser} mutual_password={c.Chap.MutualSecret}"
                    : $"{Acl(c.Target, c.Initiator)} set auth userid={c.Chap.User} password={c.Chap.Secret}";
                break;
            case CreateMappedLun c:
                yield return $"{Acl(c.Target, c.Initiator)} create mapped_lun={N(c.Index)} tpg_lun_or_backstore={N(c.TpgLun)} write_protect={(c.WriteProtect ? "1" : "false")}";
                break;
            case DeleteMappedLun c:
                yield return $"{Acl(c.Target, c.Initiator)} delete {N(c.Index)}";
                break;
            default:
                throw new ArgumentException($"targetcli has no rendering for {change.GetType().Name}");
        }
    }

    /// <summary>A whole plan as lines, each tied to the change it came from.</summary>
    public static IReadOnlyList<(LioChange Change, string Line)> Render(IEnumerable<LioChange> changes) =>
        changes.SelectMany(c => Lines(c).Select(l => (c, l))).ToList();

    // Confirmations targetcli prints on success; anything else a line prints is treated as its error message.
    static readonly string[] RoutinePrefixes =
    {
        "Created ", "Deleted ", "Parameter ", "Using default IP port", "Binding to INADDR_ANY", "Configuration saved to",
        "Last 10 configs saved", "Mapped LUN", "Global pref ", "No changes", "Successfully ", "Automatically ",
        "targetcli shell version", "Copyright ", "For help on commands", "(no open sessions)",
    };

    public static bool IsRoutine(string line) => RoutinePrefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// Splits targetcli's merged console output into the banner and one chunk per input line: targetcli prints
    /// the prompt before reading each line, so chunk i (after the i-th prompt) is what line i printed.
    /// </summary>
    public static (string Banner, IReadOnlyList<string> Chunks) SplitByPrompt(string merged, int lineCount)
    {
        var parts = merged.Split(Prompt);
        var banner = parts[0];
        var chunks = new List<string>(lineCount);
        for (int i = 0; i < lineCount; i++)
            chunks.Add(i + 1 < parts.Length ? parts[i + 1].Trim('\n') : "");
        return (banner, chunks);
    }

    /// <summary>A script: the wrapper, the plan's lines, saveconfig, exit.</summary>
    public static IReadOnlyList<string> Script(IEnumerable<string> lines) =>
        new[] { NoAutoSave }.Concat(lines).Append(SaveConfig).Append("exit").ToList();

    /// <summary>Splits targetcli's console by prompt and gives each change the text of its lines.</summary>
    public static LioApplyResult ToResult(IReadOnlyList<LioChange> changes, IReadOnlyList<(LioChange Change, string Line)> rendered, string console, LioConfig saved, TimeSpan elapsed)
    {
        var lineCount = rendered.Count + 3;   // the wrapper line, the plan, saveconfig, exit
        var (banner, chunks) = SplitByPrompt(console, lineCount);
        var byChange = new Dictionary<LioChange, List<string>>(ReferenceEqualityComparer.Instance);
        foreach (var c in changes) byChange[c] = new List<string>();
        for (int i = 0; i < rendered.Count; i++)
            if (chunks[i + 1].Length > 0) byChange[rendered[i].Change].Add(Redaction.RedactText(chunks[i + 1]));
        var other = banner + "\n" + chunks[0] + "\n" + string.Join("\n", chunks.Skip(rendered.Count + 1));
        return new LioApplyResult
        {
            Changes = changes.Select(c => new LioChangeResult(c, null, string.Join("\n", byChange[c]))).ToList(),
            Saved = saved,
            Executor = LioExecutorKind.Targetcli,
            Elapsed = elapsed,
            OtherOutput = Redaction.RedactText(other.Trim()),
        };
    }
}
