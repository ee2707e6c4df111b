using PureBoot.Core.Boot;
using PureBoot.Core.Inventory;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Secrets;
using PureBoot.Core.Transport;
using PureBoot.Core.Validation;
using static PureBoot.Core.Lio.TargetcliCommands;

namespace PureBoot.Core.Operations;

/// <summary>Which kind of object RestartExportAsync's name is.</summary>
public enum ExportScope
{
    /// <summary>A LUN or a node, whichever has the name (refused when both do and they mean different LUNs).</summary>
    Auto,
    Lun,
    Node,
}

/// <summary>What an iPXE boot script points at (Get-IscsiBootScript -Path returns this; it never holds the secret).</summary>
public sealed class BootScriptInfo
{
    public required string Node { get; init; }
    public required string Lun { get; init; }
    public required string Backend { get; init; }
    public required string InitiatorIqn { get; init; }
    public required string TargetIqn { get; init; }
    /// <summary>The LUN number the node asks for (its mapped LUN index).</summary>
    public int LunNumber { get; init; }
    public required string Portal { get; init; }
    public int Port { get; init; }
    /// <summary>None, OneWay or Mutual.</summary>
    public required string Chap { get; init; }
    /// <summary>The iSCSI root path of the sanboot line.</summary>
    public required string RootPath { get; init; }
    /// <summary>The file written, when written.</summary>
    public string? Path { get; init; }
    public override string ToString() => Path ?? RootPath;
}

// The diskless boot workflow: iPXE scripts for a node's boot LUN, and restarting a LUN's export so that
// the node's iSCSI sessions drop and it reconnects to a freshly made export of the same data.
public sealed partial class PureBootEngine
{
    // ================================================================ boot script

    /// <summary>
    /// The node's boot LUN: its one Active LUN with Purpose BootFromSan, else its only Active LUN.
    /// Throws <see cref="InventoryNotFoundException"/> when it has none and <see cref="InventoryConflictException"/> when it is ambiguous.
    /// </summary>
    public Lun GetBootLun(string nodeName)
    {
        var node = _inventory.GetNode(InputValidator.Name(nodeName, "Node")) ?? throw new InventoryNotFoundException($"No node named '{nodeName}'.");
        return BootLunOf(node);
    }

    Lun BootLunOf(Node node)
    {
        var active = _inventory.ListLuns().Where(l => l.NodeId == node.Id && l.Status == LunStatus.Active).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
        if (active.Count == 0)
        {
            var assigned = _inventory.ListLuns().Where(l => l.NodeId == node.Id).ToList();
            throw new InventoryNotFoundException(assigned.Count == 0
                ? $"Node '{node.Name}' has no LUN assigned; assign its boot LUN with Set-IscsiLunAssignment."
                : $"Node '{node.Name}' has no Active LUN ({string.Join(", ", assigned.Select(l => $"'{l.Name}' is {l.Status}"))}); run Sync-IscsiTarget.");
        }
        var boot = active.Where(l => l.Purpose == LunPurpose.BootFromSan).ToList();
        if (boot.Count == 1) return boot[0];
        if (boot.Count > 1)
            throw new InventoryConflictException($"Node '{node.Name}' has {boot.Count} Active BootFromSan LUNs ({string.Join(", ", boot.Select(l => l.Name))}); a node boots from one: change the others' purpose or unassign them.");
        if (active.Count == 1) return active[0];
        throw new InventoryConflictException($"Node '{node.Name}' has {active.Count} Active LUNs ({string.Join(", ", active.Select(l => l.Name))}) and none has Purpose BootFromSan; cannot tell which one it boots from.");
    }

    /// <summary>
    /// The iPXE script that boots <paramref name="nodeName"/> from its boot LUN. The portal is
    /// <paramref name="portalAddress"/> when given, else the backend's PortalAddress, else (when that listens
    /// on every address) the backend's ssh Host; the port is <paramref name="portalPort"/> or the backend's
    /// PortalPort. The script holds the CHAP secret(s): reading it writes an audit row.
    /// </summary>
    public string GetBootScript(string nodeName, string? portalAddress = null, int? portalPort = null)
    {
        var (text, info) = BuildBootScript(nodeName, portalAddress, portalPort);
        _inventory.WriteAudit(Audit("read-boot-script", "node", info.Node, AuditOutcome.Success, $"LUN {info.Lun} via {info.RootPath}, CHAP {info.Chap}"));
        return text;
    }

    /// <summary>
    /// Writes the node's iPXE script to <paramref name="path"/>: created with mode 0600 under a temporary name
    /// and renamed into place. An existing file is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    public BootScriptInfo WriteBootScript(string nodeName, string path, string? portalAddress = null, int? portalPort = null, bool overwrite = false)
    {
        var (text, info) = BuildBootScript(nodeName, portalAddress, portalPort);
        var full = PrivateFile.WriteAllText(path, text, overwrite);
        _inventory.WriteAudit(Audit("write-boot-script", "node", info.Node, AuditOutcome.Success, $"LUN {info.Lun} via {info.RootPath}, CHAP {info.Chap}, to {full}"));
        return new BootScriptInfo
        {
            Node = info.Node, Lun = info.Lun, Backend = info.Backend, InitiatorIqn = info.InitiatorIqn, TargetIqn = info.TargetIqn,
            LunNumber = info.LunNumber, Portal = info.Portal, Port = info.Port, Chap = info.Chap, RootPath = info.RootPath, Path = full,
        };
    }

    (string Text, BootScriptInfo Info) BuildBootScript(string nodeName, string? portalAddress, int? portalPort)
    {
        var node = _inventory.GetNode(InputValidator.Name(nodeName, "Node")) ?? throw new InventoryNotFoundException($"No node named '{nodeName}'.");
        var lun = BootLunOf(node);
        var b = _inventory.GetBackendById(lun.BackendId) ?? throw new InventoryNotFoundException($"LUN '{lun.Name}' names a backend that does not exist.");
        if (lun.TargetIqn is null || lun.MappedLunIndex is null || lun.InitiatorIqn is null)
            throw new InventoryConflictException($"LUN '{lun.Name}' has no mapping recorded; run Sync-IscsiTarget.");
        if (lun.InitiatorIqn != node.InitiatorIqn)
            throw new InventoryConflictException($"LUN '{lun.Name}' is mapped for {lun.InitiatorIqn}, but node '{node.Name}' is {node.InitiatorIqn}; unassign and assign it again.");

        string portal;
        if (portalAddress is not null) portal = IpxeScript.RootPathServer(portalAddress.Trim());
        else if (!IpxeScript.IsWildcard(b.PortalAddress)) portal = IpxeScript.RootPathServer(b.PortalAddress);
        else if (b.Host is not null) portal = IpxeScript.RootPathServer(b.Host);
        else throw new ValidationException("PortalAddress",
            $"Parameter 'PortalAddress': backend '{b.Name}' listens on {b.PortalAddress} and has no host name ({b.Transport} transport); give the address nodes reach it at.");
        var port = InputValidator.Port(portalPort ?? b.PortalPort, "PortalPort");

        string? secret = null, mutual = null;
        if (lun.ChapEnabled)
        {
            if (lun.ChapUser is null || lun.ChapSecretSealed is null) throw new InventoryConflictException($"LUN '{lun.Name}' has CHAP on but no credential recorded; set one with Set-IscsiLun.");
            secret = Secrets.Open(lun.ChapSecretSealed, SecretContext(lun.Name, false));
            if (lun.MutualChapEnabled)
            {
                if (lun.MutualChapUser is null || lun.MutualChapSecretSealed is null) throw new InventoryConflictException($"LUN '{lun.Name}' has mutual CHAP on but no credential recorded; set one with Set-IscsiLun.");
                mutual = Secrets.Open(lun.MutualChapSecretSealed, SecretContext(lun.Name, true));
            }
        }
        var text = IpxeScript.Render(new IpxeBootParameters
        {
            NodeName = node.Name, LunName = lun.Name, InitiatorIqn = node.InitiatorIqn, TargetIqn = lun.TargetIqn, Lun = lun.MappedLunIndex.Value,
            Portal = portal, Port = port,
            ChapUser = lun.ChapEnabled ? lun.ChapUser : null, ChapSecret = secret,
            MutualChapUser = lun.ChapEnabled && lun.MutualChapEnabled ? lun.MutualChapUser : null, MutualChapSecret = mutual,
        });
        var info = new BootScriptInfo
        {
            Node = node.Name, Lun = lun.Name, Backend = b.Name, InitiatorIqn = node.InitiatorIqn, TargetIqn = lun.TargetIqn,
            LunNumber = lun.MappedLunIndex.Value, Portal = portal, Port = port, Chap = lun.Chap,
            RootPath = $"iscsi:{portal}::{port}:{lun.MappedLunIndex.Value}:{lun.TargetIqn}",
        };
        return (text, info);
    }

    // ================================================================ restart an export

    /// <summary>
    /// Drops and restores the export of one LUN, or of every LUN assigned to a node, in one targetcli run per
    /// backend, so that the node's iSCSI sessions end and it logs in again to the same data.
    /// Shared: the node's ACL (with its CHAP and every mapped LUN) is deleted and re-created; a LUN no node has
    /// gets its TPG LUN re-created. PerLun: the LUN's whole target (portal, TPG attributes, LUN 0, ACL, CHAP,
    /// mapped LUN) is deleted and re-created. The storage object and its file or volume are never touched.
    /// Verified from the saved config; one audit row per LUN. In Shared mode a node's LUNs share its ACL, so
    /// restarting one restarts them all: each is reported, with a warning.
    /// </summary>
    public async Task<IReadOnlyList<LunOutcome>> RestartExportAsync(string lunOrNodeName, ExportScope scope = ExportScope.Auto, CancellationToken ct = default)
    {
        var outcomes = new List<LunOutcome>();
        List<Lun> luns;
        try { luns = ResolveRestart(lunOrNodeName, scope); }
        catch (ValidationException e) { return Failed(lunOrNodeName, FailureKind.InvalidArgument, e.Message); }
        catch (InventoryNotFoundException e) { return Failed(lunOrNodeName, FailureKind.NotFound, e.Message); }
        catch (InventoryConflictException e) { return Failed(lunOrNodeName, FailureKind.Conflict, e.Message); }

        // In Shared mode the node's ACL carries all its LUNs on that target: they restart together.
        var requested = luns.Select(l => l.Id).ToHashSet();
        foreach (var l in luns.ToList())
        {
            if (l.Status != LunStatus.Active || l.NodeId is null) continue;
            var b = _inventory.GetBackendById(l.BackendId)!;
            if (b.Mode != TargetMode.Shared) continue;
            foreach (var partner in _inventory.ListLunsOnTarget(b.Id).Where(p => p.NodeId == l.NodeId && p.TargetIqn == l.TargetIqn && p.Status == LunStatus.Active))
                if (luns.All(x => x.Id != partner.Id)) luns.Add(partner);
        }

        var todo = new List<(Backend B, Work W)>();
        foreach (var l in luns)
        {
            var o = new LunOutcome { Name = l.Name, Lun = l };
            outcomes.Add(o);
            if (!requested.Contains(l.Id))
                o.Warnings.Add($"LUN '{l.Name}' shares node '{l.NodeName}''s ACL on {l.TargetIqn}, so its export was restarted too.");
            if (l.Status is not (LunStatus.Ready or LunStatus.Active) || l.PendingOperation is not null)
            {
                o.Fail(FailureKind.Conflict, $"LUN '{l.Name}' is {l.Status}{(l.PendingOperation is null ? "" : $" ({l.PendingOperation} did not finish)")}; only a Ready or Active LUN's export can be restarted; run Sync-IscsiTarget.");
                continue;
            }
            todo.Add((_inventory.GetBackendById(l.BackendId)!, new Work { Outcome = o, Row = l }));
        }
        foreach (var g in todo.GroupBy(t => t.B.Id))
        {
            var b = g.First().B; var ws = g.Select(x => x.W).ToList();
            await RunOnBackendAsync(b, ws, "restart", (s, _) => RestartOnHostAsync(s, b, ws, ct), ct);
        }
        return outcomes;
    }

    static IReadOnlyList<LunOutcome> Failed(string name, FailureKind kind, string message)
    {
        var o = new LunOutcome { Name = name };
        o.Fail(kind, message);
        return new[] { o };
    }

    List<Lun> ResolveRestart(string name, ExportScope scope)
    {
        var param = scope switch { ExportScope.Lun => "Lun", ExportScope.Node => "Node", _ => "Name" };
        var n = InputValidator.Name(name, param);
        var lun = scope == ExportScope.Node ? null : _inventory.GetLun(n);
        var node = scope == ExportScope.Lun ? null : _inventory.GetNode(n);
        List<Lun>? nodeLuns = node is null ? null : _inventory.ListLuns().Where(l => l.NodeId == node.Id).OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
        if (lun is not null && nodeLuns is { Count: > 0 } && !(nodeLuns.Count == 1 && nodeLuns[0].Id == lun.Id))
            throw new ValidationException(param, $"Parameter '{param}': '{n}' is both a LUN and a node with other LUNs; say which one (-Lun or -Node).");
        if (lun is not null) return new() { lun };
        if (nodeLuns is not null)
        {
            if (nodeLuns.Count == 0) throw new InventoryNotFoundException($"Node '{node!.Name}' has no LUN assigned; there is no export to restart.");
            return nodeLuns;
        }
        throw new InventoryNotFoundException(scope switch
        {
            ExportScope.Lun => $"No LUN named '{n}'.",
            ExportScope.Node => $"No node named '{n}'.",
            _ => $"No LUN or node named '{n}'.",
        });
    }

    async Task RestartOnHostAsync(ITargetHostSession s, Backend b, List<Work> ws, CancellationToken ct)
    {
        var live = (await s.SnapshotAsync(new SnapshotRequest(IncludeStorage: false), ct)).Live;
        var plugin = LioChecks.Plugin(b);

        // 1. Check that each export is as recorded: a restart re-creates what is recorded, it does not repair.
        foreach (var w in ws)
        {
            var lun = w.Row;
            var problem = LioChecks.CheckExport(live, b, lun);
            if (problem is not null) { w.Outcome.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not exported as recorded ({problem}); run Sync-IscsiTarget."); continue; }
            if (lun.Status == LunStatus.Active)
            {
                try
                {
                    (w.Secret, w.MutualSecret) = OpenChap(lun);
                }
                catch (Exception e) when (e is SecretDecryptionException or SecretKeyException) { w.Outcome.Fail(FailureKind.SecretUnavailable, e.Message); continue; }
                problem = lun.InitiatorIqn is null || lun.MappedLunIndex is null ? "no mapping is recorded"
                    : LioChecks.CheckMapping(live, lun, lun.InitiatorIqn, lun.MappedLunIndex.Value, w.Secret, w.MutualSecret);
                if (problem is not null) { w.Outcome.Fail(FailureKind.TargetRejected, $"LUN '{lun.Name}' is not mapped as recorded ({problem}); run Sync-IscsiTarget."); continue; }
            }
            var others = LioChecks.OtherInitiatorsSeeing(live, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null).ToList();
            if (others.Count > 0) { w.Outcome.Fail(FailureKind.Conflict, $"LUN '{lun.Name}' is also mapped for {string.Join(", ", others)}; run Sync-IscsiTarget."); continue; }
            if (b.Mode == TargetMode.PerLun)
            {
                // The whole target goes: it must hold nothing but this LUN and its node's ACL.
                var tpg = live.FindTarget(lun.TargetIqn!)!.Tpg1!;
                var strangers = tpg.Luns.Where(l => l.Index != lun.TpgLunIndex).Select(l => $"LUN {l.Index}")
                    .Concat(tpg.NodeAcls.Where(a => lun.Status != LunStatus.Active || a.NodeWwn != lun.InitiatorIqn).Select(a => $"ACL {a.NodeWwn}"))
                    .Concat(live.FindTarget(lun.TargetIqn!)!.Tpgs.Where(t => t.Tag != 1).Select(t => $"TPG {t.Tag}")).ToList();
                if (lun.Status == LunStatus.Active && tpg.FindAcl(lun.InitiatorIqn!) is { } own && own.MappedLuns.Count != 1)
                    strangers.Add($"{own.MappedLuns.Count - 1} more mapped LUNs of ACL {own.NodeWwn}");
                if (strangers.Count > 0) w.Outcome.Fail(FailureKind.Conflict, $"target {lun.TargetIqn} also holds {string.Join(", ", strangers)}, which PureBoot did not make; run Sync-IscsiTarget.");
            }
        }
        // A Shared ACL is re-created whole: if one of its LUNs cannot go, none of them does.
        if (b.Mode == TargetMode.Shared)
            foreach (var grp in ws.Where(w => w.Row.Status == LunStatus.Active).GroupBy(w => (w.Row.TargetIqn, w.Row.InitiatorIqn)))
            {
                var bad = grp.FirstOrDefault(w => !w.Ok);
                if (bad is not null) foreach (var w in grp.Where(w => w.Ok)) w.Outcome.Fail(FailureKind.Conflict, $"not restarted: LUN '{bad.Row.Name}', which shares its ACL, cannot be ({bad.Outcome.Error})");
                var acl = live.FindTarget(grp.Key.TargetIqn!)?.Tpg1?.FindAcl(grp.Key.InitiatorIqn!);
                var ours = grp.Select(w => w.Row.MappedLunIndex).ToHashSet();
                var foreign = acl?.MappedLuns.Where(m => !ours.Contains(m.Index)).ToList() ?? new();
                if (foreign.Count > 0)
                    foreach (var w in grp.Where(w => w.Ok))
                        w.Outcome.Fail(FailureKind.Conflict, $"ACL {grp.Key.InitiatorIqn} on {grp.Key.TargetIqn} also maps {string.Join(", ", foreign.Select(m => $"mapped LUN {m.Index}"))}, which PureBoot did not assign; run Sync-IscsiTarget.");
            }

        var going = ws.Where(w => w.Ok).ToList();
        if (going.Count == 0) { CommitRows(ws, "restart-export", w => w.Outcome.Error); return; }

        // 2. One script: every delete line, then every create line.
        var deletes = new List<TargetcliLine>();
        var creates = new List<TargetcliLine>();
        if (b.Mode == TargetMode.PerLun)
            foreach (var w in going)
            {
                var lun = w.Row; var t = lun.TargetIqn!;
                deletes.Add(new(w.Key, DeleteTarget(t)));
                creates.AddRange(EnsureTarget(LioConfig.Empty, b, t).Select(x => new TargetcliLine(w.Key, x)));
                creates.Add(new(w.Key, CreateLun(t, $"/backstores/{plugin}/{lun.StorageObjectName}", lun.TpgLunIndex!.Value)));
                if (lun.Status != LunStatus.Active) continue;
                creates.Add(new(w.Key, CreateAcl(t, lun.InitiatorIqn!)));
                creates.AddRange(AuthLines(t, lun.InitiatorIqn!, lun, w, freshAcl: true).Select(x => new TargetcliLine(w.Key, x)));
                creates.Add(new(w.Key, CreateMappedLun(t, lun.InitiatorIqn!, lun.MappedLunIndex!.Value, lun.TpgLunIndex.Value)));
            }
        else
        {
            foreach (var w in going.Where(w => w.Row.Status != LunStatus.Active))
            {
                var lun = w.Row;
                deletes.Add(new(w.Key, DeleteLun(lun.TargetIqn!, lun.TpgLunIndex!.Value)));
                creates.Add(new(w.Key, CreateLun(lun.TargetIqn!, $"/backstores/{plugin}/{lun.StorageObjectName}", lun.TpgLunIndex.Value)));
            }
            foreach (var grp in going.Where(w => w.Row.Status == LunStatus.Active).GroupBy(w => (T: w.Row.TargetIqn!, I: w.Row.InitiatorIqn!)))
            {
                var first = grp.OrderBy(w => w.Row.MappedLunIndex).First();
                deletes.Add(new(first.Key, DeleteAcl(grp.Key.T, grp.Key.I)));
                creates.Add(new(first.Key, CreateAcl(grp.Key.T, grp.Key.I)));
                creates.AddRange(AuthLines(grp.Key.T, grp.Key.I, first.Row, first, freshAcl: true).Select(x => new TargetcliLine(first.Key, x)));
                foreach (var w in grp.OrderBy(w => w.Row.MappedLunIndex))
                    creates.Add(new(w.Key, CreateMappedLun(grp.Key.T, grp.Key.I, w.Row.MappedLunIndex!.Value, w.Row.TpgLunIndex!.Value)));
            }
        }
        foreach (var w in going) w.Row.PendingOperation = "restart";
        CommitRows(going, null, null);   // in flight: a crash leaves "restart" pending for Sync-IscsiTarget
        Report("Restarting exports", $"targetcli batch of {deletes.Count + creates.Count} lines on {b.Name}", 40);
        var run = await RunTargetcliAsync(s, deletes.Concat(creates).ToList(), ct);

        // 3. Verdicts from the saved config.
        foreach (var w in going)
        {
            var lun = w.Row;
            var problem = LioChecks.CheckExport(run.Saved, b, lun);
            if (problem is null && lun.Status == LunStatus.Active)
                problem = LioChecks.CheckMapping(run.Saved, lun, lun.InitiatorIqn!, lun.MappedLunIndex!.Value, w.Secret, w.MutualSecret);
            problem ??= LioChecks.OtherInitiatorsSeeing(run.Saved, lun, lun.Status == LunStatus.Active ? lun.InitiatorIqn : null).Select(i => $"LUN also visible to {i}").FirstOrDefault();
            if (problem is not null)
            {
                w.Outcome.Fail(FailureKind.TargetRejected, Explain(problem, run, w.Key) + " (the data is untouched; run Sync-IscsiTarget to re-export it)");
                lun.Status = LunStatus.Error; lun.ErrorMessage = w.Outcome.Error;
                continue;
            }
            lun.PendingOperation = null; lun.ErrorMessage = null;
        }
        CommitRows(ws, "restart-export", w => w.Ok
            ? (b.Mode == TargetMode.PerLun ? $"re-created target {w.Row.TargetIqn}" : w.Row.Status == LunStatus.Active ? $"re-created ACL {w.Row.InitiatorIqn} and mapped LUN {w.Row.MappedLunIndex}" : $"re-created LUN {w.Row.TpgLunIndex} of {w.Row.TargetIqn}")
            : w.Outcome.Error);
    }
}
