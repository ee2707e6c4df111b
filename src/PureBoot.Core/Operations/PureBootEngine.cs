using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;

namespace PureBoot.Core.Operations;

/// <summary>
/// Everything PureBoot does, without PowerShell: the facade the cmdlets call. Each use case is a class of its own
/// over a shared <see cref="EngineContext"/> (Catalog/, Luns/, Convergence/, Boot/); this class only routes.
/// </summary>
public sealed partial class PureBootEngine : IDisposable
{
    readonly EngineContext _ctx;

    /// <param name="connector">How sessions on storage hosts are opened (see <see cref="RoutingConnector"/>).</param>
    /// <param name="secrets">A fixed secret key (tests); null: PUREBOOT_SECRET_KEY or the key file, read again when it changes.</param>
    public PureBootEngine(InventoryStore inventory, ITargetHostConnector connector, Func<SecretBox>? secrets = null)
    {
        _ctx = new EngineContext(inventory, connector, new SecretKeyring(secrets, inventory.EnsureKeyCheck));
    }

    /// <summary>Opens the inventory (explicit path, PUREBOOT_DB, or the XDG default).</summary>
    public static PureBootEngine Open(string? databasePath, ITargetHostConnector connector, Func<SecretBox>? secrets = null) =>
        new(new InventoryStore(InventoryPaths.Resolve(databasePath)), connector, secrets);

    /// <summary>Redacted progress text (batches sent and their timings) for -Verbose.</summary>
    public Action<string>? Log { get => _ctx.Log; set => _ctx.Log = value; }
    public IProgress<BatchProgress>? Progress { get => _ctx.Progress; set => _ctx.Progress = value; }

    internal InventoryStore Inventory => _ctx.Inventory;

    // ---------------------------------------------------------------- backends and nodes (inventory only)

    public Backend AddBackend(BackendSpec spec, bool ifNotExists = false) => new Backends(_ctx).Add(spec, ifNotExists);
    public Backend GetBackend(string name) => new Backends(_ctx).Get(name);
    public Backend? FindBackend(string name) => _ctx.Inventory.GetBackend(name);
    public IReadOnlyList<Backend> ListBackends(string? nameLike = null) => _ctx.Inventory.ListBackends(nameLike);
    public Backend UpdateBackend(string name, Action<BackendSpecUpdate> change) => new Backends(_ctx).Update(name, change);
    public void RemoveBackend(string name) => new Backends(_ctx).Remove(name);

    public Node AddNode(string name, string macAddress, string? initiatorIqn = null, string? hostname = null, string? description = null, bool ifNotExists = false) =>
        new Nodes(_ctx).Add(name, macAddress, initiatorIqn, hostname, description, ifNotExists);
    public Node GetNode(string name) => new Nodes(_ctx).Get(name);
    public Node? FindNode(string name) => _ctx.Inventory.GetNode(name);
    public IReadOnlyList<Node> ListNodes(string? nameLike = null) => _ctx.Inventory.ListNodes(nameLike);
    public void RemoveNode(string name) => new Nodes(_ctx).Remove(name);

    /// <summary>Changes a node's MAC, initiator IQN, host name or description; a new IQN moves its ACLs on the targets (one plan per backend, CHAP kept).</summary>
    public Task<NodeUpdateOutcome> UpdateNodeAsync(string name, NodeChange change, CancellationToken ct = default) =>
        new UpdateNode(_ctx).RunAsync(name, change, ct);

    // ---------------------------------------------------------------- LUNs

    public Lun GetLun(string name) => _ctx.Lun(name);
    public IReadOnlyList<Lun> ListLuns(LunFilter? filter = null) => _ctx.Inventory.ListLuns(filter);
    public IReadOnlyList<AuditEntry> ListAudit(AuditFilter? filter = null) => _ctx.Inventory.ListAudit(filter);

    /// <summary>The only way to read a CHAP secret back. Writes an audit row (without the secret).</summary>
    public ChapCredential GetChapCredential(string lunName)
    {
        var lun = _ctx.Lun(lunName);
        var chap = _ctx.Chap.Open(lun) ?? throw new InventoryNotFoundException($"LUN '{lun.Name}' has no CHAP credential.");
        _ctx.Inventory.WriteAudit(EngineContext.Audit("read-chap-credential", "lun", lun.Name, AuditOutcome.Success));
        return new ChapCredential { Lun = lun.Name, User = chap.User, Secret = chap.Secret, MutualUser = chap.MutualUser, MutualSecret = chap.MutualSecret };
    }

    public Task<IReadOnlyList<LunOutcome>> CreateLunsAsync(IReadOnlyList<LunCreateRequest> requests, CancellationToken ct = default) =>
        new CreateLuns(_ctx).RunAsync(requests, ct);

    public Task<IReadOnlyList<LunOutcome>> AssignLunsAsync(IReadOnlyList<LunAssignRequest> requests, CancellationToken ct = default) =>
        new AssignLuns(_ctx).RunAsync(requests, ct);

    public Task<IReadOnlyList<LunOutcome>> UnassignLunsAsync(IReadOnlyList<string> lunNames, CancellationToken ct = default) =>
        new UnassignLuns(_ctx).RunAsync(lunNames, ct);

    public Task<IReadOnlyList<LunOutcome>> RemoveLunsAsync(IReadOnlyList<LunRemoveRequest> requests, CancellationToken ct = default) =>
        new RemoveLuns(_ctx).RunAsync(requests, ct);

    public Task<LunOutcome> ResizeLunAsync(string name, long newSizeBytes, CancellationToken ct = default) =>
        new ResizeLun(_ctx).RunAsync(name, newSizeBytes, ct);

    public Task<LunOutcome> UpdateLunAsync(string name, string? description, ChapChange? chap, CancellationToken ct = default) =>
        new UpdateLun(_ctx).RunAsync(name, description, chap, ct);

    // ---------------------------------------------------------------- checks: what a run checks first (-WhatIf, and items checked as they arrive)
    // Nothing is sent to a host or written. The LUN checks return one outcome per item: failed, Unchanged (nothing to
    // do), or would be sent (Lun holds the row as it would be written).

    public CatalogCheck<Backend> CheckAddBackend(BackendSpec spec, bool ifNotExists = false) => new Backends(_ctx).CheckAdd(spec, ifNotExists);
    public Backend CheckUpdateBackend(string name, Action<BackendSpecUpdate> change) => new Backends(_ctx).Update(name, change, write: false);
    public Backend CheckRemoveBackend(string name) => new Backends(_ctx).CheckRemove(name);
    public CatalogCheck<Node> CheckAddNode(string name, string macAddress, string? initiatorIqn = null, string? hostname = null, string? description = null, bool ifNotExists = false) =>
        new Nodes(_ctx).CheckAdd(name, macAddress, initiatorIqn, hostname, description, ifNotExists);
    public Node CheckRemoveNode(string name) => new Nodes(_ctx).CheckRemove(name);

    /// <summary>The node as Set-IscsiNode would leave it, and the LUNs whose ACL would move to its new IQN.</summary>
    public (Node Node, IReadOnlyList<Lun> Moving) CheckUpdateNode(string name, NodeChange change)
    {
        var (node, _, moving) = new UpdateNode(_ctx).Check(name, change);
        return (node, moving);
    }

    public IReadOnlyList<LunOutcome> CheckCreateLuns(IReadOnlyList<LunCreateRequest> requests) => Outcomes(o => new CreateLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckAssignLuns(IReadOnlyList<LunAssignRequest> requests) => Outcomes(o => new AssignLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckUnassignLuns(IReadOnlyList<string> lunNames) => Outcomes(o => new UnassignLuns(_ctx).Check(lunNames, o));
    public IReadOnlyList<LunOutcome> CheckRemoveLuns(IReadOnlyList<LunRemoveRequest> requests) => Outcomes(o => new RemoveLuns(_ctx).Check(requests, o));
    public IReadOnlyList<LunOutcome> CheckRestartExport(string lunOrNodeName, ExportScope scope = ExportScope.Auto) => Outcomes(o => new RestartExport(_ctx).Check(lunOrNodeName, scope, o));

    public LunOutcome CheckResizeLun(string name, long newSizeBytes)
    {
        var o = new LunOutcome { Name = name };
        new ResizeLun(_ctx).Check(name, newSizeBytes, o);
        return o;
    }

    public LunOutcome CheckUpdateLun(string name, string? description, ChapChange? chap)
    {
        var o = new LunOutcome { Name = name };
        new UpdateLun(_ctx).Check(name, description, chap, o);
        return o;
    }

    static IReadOnlyList<LunOutcome> Outcomes(Action<List<LunOutcome>> check)
    {
        var outcomes = new List<LunOutcome>();
        check(outcomes);
        return outcomes;
    }

    // ---------------------------------------------------------------- convergence

    /// <summary>Reads a backend's live state and sessions in one exchange (no targetcli start) and compares it with the inventory.</summary>
    public Task<TargetStatusReport> GetTargetStatusAsync(string backendName, bool includeSessions = true, CancellationToken ct = default) =>
        new TargetStatus(_ctx).RunAsync(backendName, includeSessions, ct);

    public Task<SyncReport> SyncTargetAsync(string backendName, SyncOptions options, CancellationToken ct = default) =>
        new SyncTarget(_ctx).RunAsync(backendName, options, ct);

    /// <summary>Adopts a host's existing LUNs and ACLs; targets filtered by <paramref name="targetLike"/> (wildcards).</summary>
    public Task<ImportReport> ImportTargetConfigAsync(string backendName, string? targetLike = null, CancellationToken ct = default) =>
        new ImportTarget(_ctx).RunAsync(backendName, targetLike, ct);

    public Task<BackendTestReport> TestBackendAsync(string backendName, CancellationToken ct = default) =>
        new TestBackend(_ctx).RunAsync(backendName, ct);

    // ---------------------------------------------------------------- boot

    /// <summary>The node's boot LUN: its one Active LUN with Purpose BootFromSan, else its only Active LUN.</summary>
    public Lun GetBootLun(string nodeName) => new BootScripts(_ctx).GetBootLun(nodeName);

    /// <summary>The iPXE script that boots the node (it holds the CHAP secret: reading it is audited).</summary>
    public string GetBootScript(string nodeName, string? portalAddress = null, int? portalPort = null) =>
        new BootScripts(_ctx).GetBootScript(nodeName, portalAddress, portalPort);

    /// <summary>Writes the node's iPXE script to a 0600 file; an existing file is replaced only with <paramref name="overwrite"/>.</summary>
    public BootScriptInfo WriteBootScript(string nodeName, string path, string? portalAddress = null, int? portalPort = null, bool overwrite = false) =>
        new BootScripts(_ctx).WriteBootScript(nodeName, path, portalAddress, portalPort, overwrite);

    /// <summary>What <see cref="WriteBootScript"/> checks first (the node, its boot LUN, the portal, the path); nothing written.</summary>
    public BootScriptInfo CheckWriteBootScript(string nodeName, string path, string? portalAddress = null, int? portalPort = null, bool overwrite = false) =>
        new BootScripts(_ctx).CheckWriteBootScript(nodeName, path, portalAddress, portalPort, overwrite);

    public Task<IReadOnlyList<LunOutcome>> RestartExportAsync(string lunOrNodeName, ExportScope scope = ExportScope.Auto, CancellationToken ct = default) =>
        new RestartExport(_ctx).RunAsync(lunOrNodeName, scope, ct);

    public void Dispose() => _ctx.Inventory.Dispose();
}
