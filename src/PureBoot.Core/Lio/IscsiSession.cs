namespace PureBoot.Core.Lio;

/// <summary>One LUN a logged-in initiator sees: its mapped LUN index and the storage object behind it.</summary>
public sealed record SessionLun(int MappedLun, string StorageObject);

/// <summary>An initiator logged in to a target, read from configfs (rtslib's NodeACL.session) in the state dump.</summary>
public sealed class IscsiSession
{
    public string TargetIqn { get; init; } = "";
    public string InitiatorIqn { get; init; } = "";
    public int? Sid { get; init; }
    /// <summary>LIO's session state, e.g. LOGGED_IN.</summary>
    public string State { get; init; } = "";
    public bool? Authenticated { get; init; }
    public IReadOnlyList<SessionLun> Luns { get; init; } = Array.Empty<SessionLun>();
    public IReadOnlyList<string> Addresses { get; init; } = Array.Empty<string>();

    /// <summary>True when the session sees the storage object at this path (e.g. /backstores/fileio/web01).</summary>
    public bool Sees(string storageObjectPath) => Luns.Any(l => TargetcliPath(l.StorageObject) == storageObjectPath);

    /// <summary>
    /// A storage object's targetcli path. rtslib's StorageObject.path (what the host's dump gives) is its configfs
    /// directory, /sys/kernel/config/target/core/PLUGIN_N/NAME; targetcli and PureBoot say /backstores/PLUGIN/NAME.
    /// </summary>
    public static string TargetcliPath(string path)
    {
        const string core = "/sys/kernel/config/target/core/";
        if (!path.StartsWith(core, StringComparison.Ordinal)) return path;
        var parts = path[core.Length..].Split('/');
        if (parts.Length != 2) return path;
        var hba = parts[0];
        var us = hba.LastIndexOf('_');
        var plugin = us > 0 && hba[(us + 1)..].All(char.IsAsciiDigit) ? hba[..us] : hba;
        // rtslib names the block (iblock) backstore's HBA "iblock"; targetcli calls it "block".
        return $"/backstores/{(plugin == "iblock" ? "block" : plugin)}/{parts[1]}";
    }

    public override string ToString() => $"{InitiatorIqn} on {TargetIqn} ({State})";
}
