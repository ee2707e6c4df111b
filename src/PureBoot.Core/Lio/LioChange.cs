using System.Globalization;

namespace PureBoot.Core.Lio;

// The typed plan: every change PureBoot makes to LIO is one of these records, built by the use cases from the live
// state and applied by an executor (rtslib in the same session, or one targetcli script). Item names the batch
// item whose fate the change decides ("*target" for changes shared by every item). Values in these records passed
// InputValidator's allow-lists; executors still hand them over as data.

public abstract record LioChange(string Item)
{
    /// <summary>The item of changes every item of the batch needs (its target, the TPG's lock-down).</summary>
    public const string SharedItem = "*target";
    /// <summary>The item of changes that remove objects no row owns.</summary>
    public const string OrphanItem = "*orphan";

    /// <summary>One line for logs and -Verbose; never holds a secret.</summary>
    public abstract string Describe();

    // Sealed so that no derived record prints its members (a CHAP secret among them).
    public sealed override string ToString() => Describe();

    protected static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A fileio storage object on an existing file (its size is the file's), or a block one on a device.</summary>
public sealed record CreateStorageObject(string Item, string Plugin, string Name, string Dev) : LioChange(Item)
{
    public override string Describe() => $"create storage object {Plugin}/{Name} on {Dev}";
}

/// <summary>Deleting a storage object takes the LUNs that export it, and their mapped LUNs, with it (rtslib cascades).</summary>
public sealed record DeleteStorageObject(string Item, string Plugin, string Name) : LioChange(Item)
{
    public override string Describe() => $"delete storage object {Plugin}/{Name}";
}

/// <summary>An iSCSI target with TPG 1 enabled, listening on one portal.</summary>
public sealed record CreateTarget(string Item, string Wwn, string PortalAddress, int PortalPort) : LioChange(Item)
{
    public override string Describe() => $"create target {Wwn} (tpg1, portal {PortalAddress}:{N(PortalPort)})";
}

public sealed record DeleteTarget(string Item, string Wwn) : LioChange(Item)
{
    public override string Describe() => $"delete target {Wwn}";
}

/// <summary>Attributes of TPG 1, in order.</summary>
public sealed record SetTpgAttributes(string Item, string Target, IReadOnlyList<KeyValuePair<string, string>> Attributes) : LioChange(Item)
{
    /// <summary>Isolation: no dynamic ACLs, CHAP decided per ACL (inheriting 1), no demo-mode writes.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> LockedDown = new KeyValuePair<string, string>[]
    {
        new("generate_node_acls", "0"), new("authentication", "1"), new("demo_mode_write_protect", "1"), new("cache_dynamic_acls", "0"),
    };

    public static SetTpgAttributes LockDown(string item, string target) => new(item, target, LockedDown);

    public override string Describe() => $"set {Target} tpg1 attributes {string.Join(" ", Attributes.Select(a => $"{a.Key}={a.Value}"))}";
}

public sealed record CreatePortal(string Item, string Target, string Address, int Port) : LioChange(Item)
{
    public override string Describe() => $"create portal {Address}:{N(Port)} on {Target}";
}

public sealed record DeletePortal(string Item, string Target, string Address, int Port) : LioChange(Item)
{
    public override string Describe() => $"delete portal {Address}:{N(Port)} of {Target}";
}

/// <summary>A TPG LUN exporting a storage object. No ACL gets a mapped LUN for it (PureBoot maps explicitly).</summary>
public sealed record CreateLun(string Item, string Target, int Index, string Plugin, string StorageObject) : LioChange(Item)
{
    public string StorageObjectPath => $"/backstores/{Plugin}/{StorageObject}";
    public override string Describe() => $"create LUN {N(Index)} of {Target} for {StorageObjectPath}";
}

/// <summary>Deleting a TPG LUN takes its mapped LUNs with it.</summary>
public sealed record DeleteLun(string Item, string Target, int Index) : LioChange(Item)
{
    public override string Describe() => $"delete LUN {N(Index)} of {Target}";
}

/// <summary>A node ACL that maps nothing yet.</summary>
public sealed record CreateNodeAcl(string Item, string Target, string Initiator) : LioChange(Item)
{
    public override string Describe() => $"create ACL {Initiator} on {Target}";
}

public sealed record DeleteNodeAcl(string Item, string Target, string Initiator) : LioChange(Item)
{
    public override string Describe() => $"delete ACL {Initiator} of {Target}";
}

/// <summary>The ACL's authentication attribute: 1 demands CHAP whatever the TPG says, 0 lets the initiator in without.</summary>
public sealed record SetNodeAclAuthentication(string Item, string Target, string Initiator, bool Required) : LioChange(Item)
{
    public override string Describe() => $"set ACL {Initiator} of {Target} authentication={(Required ? 1 : 0)}";
}

/// <summary>The ACL's CHAP credential (and the mutual one when given).</summary>
public sealed record SetNodeAclChap(string Item, string Target, string Initiator, ChapSettings Chap) : LioChange(Item)
{
    public override string Describe() =>
        $"set ACL {Initiator} of {Target} CHAP user {Chap.User}{(Chap.MutualUser is null ? "" : $", mutual user {Chap.MutualUser}")} (secrets not shown)";
}

public sealed record CreateMappedLun(string Item, string Target, string Initiator, int Index, int TpgLun, bool WriteProtect = false) : LioChange(Item)
{
    public override string Describe() => $"map LUN {N(TpgLun)} of {Target} as mapped LUN {N(Index)} of ACL {Initiator}{(WriteProtect ? " (read-only)" : "")}";
}

public sealed record DeleteMappedLun(string Item, string Target, string Initiator, int Index) : LioChange(Item)
{
    public override string Describe() => $"delete mapped LUN {N(Index)} of ACL {Initiator} on {Target}";
}

/// <summary>A CHAP credential in plain text, for one batch, in memory only. Its ToString never shows a secret.</summary>
public sealed record ChapSettings(string User, string Secret, string? MutualUser = null, string? MutualSecret = null)
{
    public bool Mutual => MutualUser is not null;
    public override string ToString() => $"CHAP {User}{(Mutual ? $" / mutual {MutualUser}" : "")}";
}
