using System.Management.Automation;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Get-PureBootAuditLog: the audit log (every change and every secret read), oldest first.</summary>
[Cmdlet(VerbsCommon.Get, "PureBootAuditLog")]
[OutputType(typeof(AuditEntry))]
public sealed class GetPureBootAuditLogCommand : PureBootCmdlet
{
    /// <summary>Object name (wildcards). Binds from the Name of piped objects (LUNs, nodes, backends).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AuditObjectNameCompleter))]
    public string? ObjectName { get; set; }

    /// <summary>backend, node or lun.</summary>
    [Parameter]
    [ValidateSet("backend", "node", "lun", IgnoreCase = true)]
    public string? ObjectType { get; set; }

    /// <summary>Operation (wildcards), e.g. create-lun, assign-lun, read-chap-credential.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(AuditOperationCompleter))]
    public string? Operation { get; set; }

    [Parameter] public DateTime Since { get; set; }
    [Parameter] public DateTime Until { get; set; }
    [Parameter] public AuditOutcome Outcome { get; set; }

    /// <summary>Only the last N matching entries.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Last { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var entries = Engine.ListAudit(new AuditFilter
            {
                ObjectName = string.IsNullOrEmpty(ObjectName) ? null : ObjectName,
                ObjectType = ObjectType?.ToLowerInvariant(),
                Operation = Operation,
                Since = IsBound(nameof(Since)) ? new DateTimeOffset(Since) : null,
                Until = IsBound(nameof(Until)) ? new DateTimeOffset(Until) : null,
                Outcome = IsBound(nameof(Outcome)) ? Outcome : null,
                Last = IsBound(nameof(Last)) ? Last : null,
            });
            foreach (var e in entries) WriteObject(e);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, ObjectName); }
    }
}
