using System.Text.Json;
using System.Text.Json.Nodes;

namespace PureBoot.Core.Lio;

// A read-only view of LIO's configuration in rtslib-fb's saveconfig.json shape. The same shape comes from
// `saveconfig` and from rtslib's RTSRoot().dump(), so one parser serves the saved and the live state.
// CHAP secrets are held here because the target holds them in plain text; nothing here prints them.

public sealed class LioConfig
{
    public IReadOnlyList<StorageObject> StorageObjects { get; init; } = Array.Empty<StorageObject>();
    public IReadOnlyList<IscsiTarget> Targets { get; init; } = Array.Empty<IscsiTarget>();

    public static LioConfig Empty { get; } = new();

    public StorageObject? FindStorageObject(string plugin, string name) =>
        StorageObjects.FirstOrDefault(s => s.Plugin == plugin && s.Name == name);

    public StorageObject? FindStorageObjectByPath(string path) =>
        StorageObjects.FirstOrDefault(s => s.Path == path);

    public IscsiTarget? FindTarget(string wwn) => Targets.FirstOrDefault(t => t.Wwn == wwn);

    /// <summary>TPG 1 of a target, if both exist.</summary>
    public Tpg? FindTpg(string wwn) => FindTarget(wwn)?.Tpg1;

    /// <summary>Every TPG LUN (of any target and TPG) that exports this storage object: who exports it, as rtslib's StorageObject.attached_luns.</summary>
    public IEnumerable<(IscsiTarget Target, Tpg Tpg, TpgLun Lun)> ExportersOf(StorageObject so) =>
        from t in Targets from tpg in t.Tpgs from l in tpg.Luns where l.StorageObject == so.Path select (t, tpg, l);

    /// <summary>True when some storage object uses this file or device.</summary>
    public bool UsesDevice(string dev) => StorageObjects.Any(s => s.Dev == dev);

    public override string ToString() => $"LioConfig({StorageObjects.Count} storage objects, {Targets.Count} targets)";
}

public sealed class StorageObject
{
    public required string Name { get; init; }
    /// <summary>fileio, block, ramdisk, pscsi, user:...</summary>
    public required string Plugin { get; init; }
    public string? Dev { get; init; }
    public long? Size { get; init; }
    public string? Wwn { get; init; }
    public bool? WriteBack { get; init; }
    /// <summary>The targetcli path, e.g. /backstores/fileio/web01.</summary>
    public string Path => $"/backstores/{Plugin}/{Name}";
    public override string ToString() => $"{Path} ({Dev})";
}

public sealed class IscsiTarget
{
    public required string Wwn { get; init; }
    public string Fabric { get; init; } = "iscsi";
    public IReadOnlyList<Tpg> Tpgs { get; init; } = Array.Empty<Tpg>();
    public Tpg? Tpg1 => Tpgs.FirstOrDefault(t => t.Tag == 1);
    public override string ToString() => Wwn;
}

public sealed class Tpg
{
    public int Tag { get; init; } = 1;
    public bool Enable { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<TpgLun> Luns { get; init; } = Array.Empty<TpgLun>();
    public IReadOnlyList<NodeAcl> NodeAcls { get; init; } = Array.Empty<NodeAcl>();
    public IReadOnlyList<Portal> Portals { get; init; } = Array.Empty<Portal>();

    public string? Attribute(string name) => Attributes.TryGetValue(name, out var v) ? v : null;
    public TpgLun? FindLun(int index) => Luns.FirstOrDefault(l => l.Index == index);
    public NodeAcl? FindAcl(string nodeWwn) => NodeAcls.FirstOrDefault(a => a.NodeWwn == nodeWwn);

    /// <summary>The ACLs that map this TPG LUN (as rtslib's LUN.mapped_luns, seen from the ACL side).</summary>
    public IEnumerable<NodeAcl> AclsMapping(int tpgLun) => NodeAcls.Where(a => a.MappedLuns.Any(m => m.TpgLun == tpgLun));

    /// <summary>True when this TPG LUN exports the storage object at <paramref name="storageObjectPath"/>.</summary>
    public bool Exports(int tpgLun, string storageObjectPath) => FindLun(tpgLun)?.StorageObject == storageObjectPath;

    /// <summary>Locked down: no dynamic ACLs, CHAP required by default, demo mode read-only.</summary>
    public bool IsLockedDown => Attribute("generate_node_acls") == "0" && Attribute("authentication") == "1" && Attribute("demo_mode_write_protect") == "1";
}

public sealed class TpgLun
{
    public int Index { get; init; }
    /// <summary>The storage object's path, e.g. /backstores/fileio/web01.</summary>
    public required string StorageObject { get; init; }
    public string? Alias { get; init; }
    public override string ToString() => $"lun{Index} -> {StorageObject}";
}

public sealed class NodeAcl
{
    public required string NodeWwn { get; init; }
    public string? ChapUserId { get; init; }
    internal string? ChapPassword { get; init; }
    public string? ChapMutualUserId { get; init; }
    internal string? ChapMutualPassword { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<MappedLun> MappedLuns { get; init; } = Array.Empty<MappedLun>();

    public bool HasChap => !string.IsNullOrEmpty(ChapUserId) && !string.IsNullOrEmpty(ChapPassword);
    public bool HasMutualChap => !string.IsNullOrEmpty(ChapMutualUserId) && !string.IsNullOrEmpty(ChapMutualPassword);
    internal bool ChapPasswordEquals(string? secret) => string.Equals(ChapPassword ?? "", secret ?? "", StringComparison.Ordinal);
    internal bool ChapMutualPasswordEquals(string? secret) => string.Equals(ChapMutualPassword ?? "", secret ?? "", StringComparison.Ordinal);
    public string? Attribute(string name) => Attributes.TryGetValue(name, out var v) ? v : null;
    public MappedLun? FindMappedLun(int index) => MappedLuns.FirstOrDefault(m => m.Index == index);
    /// <summary>The lowest mapped LUN index not in use (nor in <paramref name="taken"/>).</summary>
    public int LowestFreeMappedIndex(IEnumerable<int>? taken = null)
    {
        var used = MappedLuns.Select(m => m.Index).Concat(taken ?? Enumerable.Empty<int>()).ToHashSet();
        int i = 0; while (used.Contains(i)) i++;
        return i;
    }
    public override string ToString() => $"acl {NodeWwn} ({MappedLuns.Count} mapped LUNs)";
}

public sealed class MappedLun
{
    public int Index { get; init; }
    public int TpgLun { get; init; }
    public bool WriteProtect { get; init; }
    public override string ToString() => $"mapped_lun{Index} -> lun{TpgLun}";
}

public sealed class Portal
{
    public required string IpAddress { get; init; }
    public int Port { get; init; }
    public override string ToString() => $"{IpAddress}:{Port}";
}

/// <summary>Parses saveconfig.json (or rtslib's dump) text.</summary>
public static class SaveConfigParser
{
    public static LioConfig Parse(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return LioConfig.Empty;
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException e) { throw new FormatException("The target's saved configuration is not valid JSON: " + e.Message, e); }
        if (root is not JsonObject obj) throw new FormatException("The target's saved configuration is not a JSON object.");

        var sos = new List<StorageObject>();
        foreach (var so in Arr(obj, "storage_objects"))
        {
            sos.Add(new StorageObject
            {
                Name = Str(so, "name") ?? "",
                Plugin = Str(so, "plugin") ?? "",
                Dev = Str(so, "dev"),
                Size = Long(so, "size"),
                Wwn = Str(so, "wwn"),
                WriteBack = Bool(so, "write_back"),
            });
        }

        var targets = new List<IscsiTarget>();
        foreach (var t in Arr(obj, "targets"))
        {
            var tpgs = new List<Tpg>();
            foreach (var tpg in Arr(t, "tpgs"))
            {
                var luns = Arr(tpg, "luns").Select(l => new TpgLun
                {
                    Index = (int)(Long(l, "index") ?? -1),
                    StorageObject = Str(l, "storage_object") ?? "",
                    Alias = Str(l, "alias"),
                }).ToList();
                var acls = Arr(tpg, "node_acls").Select(a => new NodeAcl
                {
                    NodeWwn = Str(a, "node_wwn") ?? "",
                    ChapUserId = Str(a, "chap_userid"),
                    ChapPassword = Str(a, "chap_password"),
                    ChapMutualUserId = Str(a, "chap_mutual_userid"),
                    ChapMutualPassword = Str(a, "chap_mutual_password"),
                    Attributes = Dict(a, "attributes"),
                    MappedLuns = Arr(a, "mapped_luns").Select(m => new MappedLun
                    {
                        Index = (int)(Long(m, "index") ?? -1),
                        TpgLun = (int)(Long(m, "tpg_lun") ?? -1),
                        WriteProtect = Bool(m, "write_protect") ?? false,
                    }).ToList(),
                }).ToList();
                var portals = Arr(tpg, "portals").Select(p => new Portal
                {
                    IpAddress = Str(p, "ip_address") ?? "",
                    Port = (int)(Long(p, "port") ?? 0),
                }).ToList();
                tpgs.Add(new Tpg
                {
                    Tag = (int)(Long(tpg, "tag") ?? 1),
                    Enable = Bool(tpg, "enable") ?? false,
                    Attributes = Dict(tpg, "attributes"),
                    Parameters = Dict(tpg, "parameters"),
                    Luns = luns,
                    NodeAcls = acls,
                    Portals = portals,
                });
            }
            targets.Add(new IscsiTarget { Wwn = Str(t, "wwn") ?? "", Fabric = Str(t, "fabric") ?? "", Tpgs = tpgs });
        }
        return new LioConfig { StorageObjects = sos, Targets = targets.Where(t => t.Fabric == "iscsi").ToList() };
    }

    static IEnumerable<JsonObject> Arr(JsonObject o, string key) =>
        o[key] is JsonArray a ? a.OfType<JsonObject>() : Enumerable.Empty<JsonObject>();

    static string? Str(JsonObject o, string key) => o[key] is JsonValue v ? v.ToString() : null;

    static long? Long(JsonObject o, string key) =>
        o[key] is JsonValue v && long.TryParse(v.ToString(), out var n) ? n : null;

    static bool? Bool(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    static IReadOnlyDictionary<string, string> Dict(JsonObject o, string key)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (o[key] is JsonObject a)
            foreach (var kv in a) d[kv.Key] = kv.Value is null ? "" : kv.Value.ToString();
        return d;
    }
}
