using System.Management.Automation;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiTargetStatus: reads each backend's live LIO state and compares it with the inventory. Default output:
/// one LunTargetStatus per LUN; -Report gives the whole TargetStatusReport; -Drift only the differences.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiTargetStatus", DefaultParameterSetName = LunsSet)]
[OutputType(typeof(LunTargetStatus), ParameterSetName = new[] { LunsSet })]
[OutputType(typeof(TargetStatusReport), ParameterSetName = new[] { ReportSet })]
[OutputType(typeof(DriftItem), ParameterSetName = new[] { DriftSet })]
public sealed class GetIscsiTargetStatusCommand : PureBootCmdlet
{
    const string LunsSet = "Luns";
    const string ReportSet = "Report";
    const string DriftSet = "Drift";

    /// <summary>Backends to read (wildcards). Default: every backend. Binds from Name (Get-IscsiBackend) or BackendName (Get-IscsiLun).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("BackendName", "Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[]? Backend { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ReportSet)]
    public SwitchParameter Report { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = DriftSet)]
    public SwitchParameter Drift { get; set; }

    /// <summary>Skips 'targetcli sessions detail' (one targetcli start fewer; Session stays empty).</summary>
    [Parameter] public SwitchParameter NoSessions { get; set; }

    readonly List<string> _patterns = new();
    bool _all;

    protected override void ProcessRecord()
    {
        if (Backend is null || Backend.Length == 0) _all = true;
        else _patterns.AddRange(Backend.Where(b => !string.IsNullOrEmpty(b)));
    }

    protected override void EndProcessing()
    {
        var names = new List<string>();
        try
        {
            foreach (var pattern in _all ? new List<string> { "*" } : _patterns.Distinct(StringComparer.OrdinalIgnoreCase).ToList())
            {
                if (!WildcardPattern.ContainsWildcardCharacters(pattern)) { names.Add(pattern); continue; }
                names.AddRange(Engine.ListBackends(pattern).Select(b => b.Name));
            }
        }
        catch (Exception e) when (IsReportable(e)) { ThrowFailure(e, Backend); }
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            try
            {
                var report = RunEngine((engine, ct) => engine.GetTargetStatusAsync(name, !NoSessions, ct), $"Reading target {name}");
                if (report.Space is { } space)
                {
                    WriteVerbose($"{name}: {space}");
                    if (space.OverLimit) WriteWarning($"{name}: {(space.ThinPool is null ? "its filesystem" : $"thin pool {space.ThinPool}")} is {space.FillPercent:0.##}% full, over its limit of {space.MaxFillPercent}%: provisioning is refused until space is freed (Get-IscsiBackendSpace {name}).");
                }
                if (Report) WriteObject(report);
                else if (Drift) foreach (var d in report.Drift) WriteObject(d);
                else foreach (var l in report.Luns) WriteObject(l);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
