using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Remove-IscsiNode: forgets nodes that have no LUN assigned. Writes nothing unless -PassThru.</summary>
[Cmdlet(VerbsCommon.Remove, "IscsiNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Node))]
public sealed class RemoveIscsiNodeCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Writes the removed node.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                var n = Engine.CheckRemoveNode(name);   // unknown, or still has LUNs: an error under -WhatIf too
                if (!ShouldProcess($"node '{n.Name}'", "Remove from the PureBoot inventory")) continue;
                Engine.RemoveNode(name);
                if (PassThru) WriteObject(n);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
