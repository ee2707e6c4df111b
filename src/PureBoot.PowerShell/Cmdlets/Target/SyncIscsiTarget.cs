using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Sync-IscsiTarget: makes each backend's live LIO configuration match the inventory again (after a crash, a lost
/// connection or hand edits): finishes or rolls back interrupted changes, re-creates missing exports, ACLs and CHAP,
/// removes leaked mappings and, with -RemoveOrphans, objects no inventory row owns. Default output: one SyncAction
/// per action taken; -Report gives the whole SyncReport. -WhatIf reads the target, shows the plan ("What if: ...")
/// and changes nothing; with -Report it also writes the plan as a SyncReport (Applied = False) for a script to inspect.
/// </summary>
[Cmdlet(VerbsData.Sync, "IscsiTarget", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ActionsSet)]
[OutputType(typeof(SyncAction), ParameterSetName = new[] { ActionsSet })]
[OutputType(typeof(SyncReport), ParameterSetName = new[] { ReportSet })]
public sealed class SyncIscsiTargetCommand : PureBootCmdlet
{
    const string ActionsSet = "Actions";
    const string ReportSet = "Report";

    /// <summary>Backends to converge (wildcards). Binds from Name (Get-IscsiBackend) or BackendName (Get-IscsiLun).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackendName", "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[] Backend { get; set; } = Array.Empty<string>();

    /// <summary>Removes LIO objects in PureBoot's namespace that no inventory row owns, and empty unreferenced files or volumes.</summary>
    [Parameter] public SwitchParameter RemoveOrphans { get; set; }

    /// <summary>Also deletes unreferenced files or volumes that hold data. Implies -RemoveOrphans.</summary>
    [Parameter] public SwitchParameter DeleteOrphanData { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ReportSet)]
    public SwitchParameter Report { get; set; }

    readonly HashSet<string> _done = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        var names = new List<string>();
        try
        {
            foreach (var pattern in Backend.Where(b => !string.IsNullOrEmpty(b)))
            {
                if (!WildcardPattern.ContainsWildcardCharacters(pattern)) { names.Add(pattern); continue; }
                names.AddRange(Engine.ListBackends(pattern).Select(b => b.Name));
            }
        }
        catch (Exception e) when (IsReportable(e)) { ThrowFailure(e, Backend); }
        foreach (var name in names)
            if (_done.Add(name)) SyncOne(name);   // a backend piped once per LUN is synced once
    }

    void SyncOne(string name)
    {
        var options = new SyncOptions { RemoveOrphans = RemoveOrphans || DeleteOrphanData, DeleteOrphanData = DeleteOrphanData };
        var orphans = options.DeleteOrphanData ? ", removing orphaned objects and deleting orphaned data"
            : options.RemoveOrphans ? ", removing orphaned objects" : "";
        if (!ShouldProcess($"Converging the target of backend '{name}' with the inventory{orphans}.",
                $"Converge the target of backend '{name}' with the inventory{orphans}? Objects are re-created or removed on the live target.",
                "Sync-IscsiTarget", out var reason))
        {
            if (reason == ShouldProcessReason.WhatIf) ShowPlan(name, options);
            return;
        }
        try
        {
            var report = RunEngine((engine, ct) => engine.SyncTargetAsync(name, options, ct), $"Synchronizing target {name}");
            if (Report) WriteObject(report);
            else foreach (var a in report.Actions) WriteObject(a);
            foreach (var o in report.Outcomes)
            {
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.SyncFailed));
            }
            if (report.Actions.Count == 0) WriteVerbose($"Backend '{name}': target and inventory agree; nothing to do.");
            if (report.RemainingDrift.Count > 0)
                WriteWarning($"Backend '{name}': {report.RemainingDrift.Count} difference(s) remain after the sync; Get-IscsiTargetStatus {name} -Drift lists them.");
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
    }

    /// <summary>-WhatIf: reads the target, computes the plan and shows each action as "What if: ..." without changing anything.</summary>
    void ShowPlan(string name, SyncOptions options)
    {
        SyncReport plan;
        try
        {
            plan = RunEngine((engine, ct) => engine.SyncTargetAsync(name, options with { PlanOnly = true }, ct), $"Planning the sync of target {name}");
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); return; }
        if (plan.Actions.Count == 0) ShouldProcess($"Backend '{name}': target and inventory agree; nothing to do.", "", "");
        foreach (var a in plan.Actions)
            ShouldProcess($"Backend '{name}': {a.Kind} {a.Object}{(a.Lun is not null && a.Lun != a.Object ? $" (LUN {a.Lun})" : "")}: {a.Description}.", "", "");
        // The plan as an object, for a script to inspect before it runs the real thing.
        if (Report) WriteObject(plan);
    }
}
