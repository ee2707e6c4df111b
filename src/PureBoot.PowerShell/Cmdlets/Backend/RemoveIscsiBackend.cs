using System.Management.Automation;
using PureBoot.Core.Model;

namespace PureBoot.PowerShell;

/// <summary>Remove-IscsiBackend: forgets backends that have no LUNs. Sends nothing to the host. Writes nothing unless -PassThru.</summary>
[Cmdlet(VerbsCommon.Remove, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Backend))]
public sealed class RemoveIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Writes the removed backend.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                var b = Engine.CheckRemoveBackend(name);   // unknown, or still has LUNs: an error under -WhatIf too
                if (!ShouldProcess($"backend '{b.Name}'", "Remove from the PureBoot inventory")) continue;
                Engine.RemoveBackend(name);
                if (PassThru) WriteObject(b);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
