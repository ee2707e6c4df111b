using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>Test-IscsiBackend: checks SSH, sudo, configfs, storage and targetcli on a backend without changing it.</summary>
[Cmdlet(VerbsDiagnostic.Test, "IscsiBackend")]
[OutputType(typeof(BackendTestReport), typeof(bool))]
public sealed class TestIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Writes only $true or $false per backend.</summary>
    [Parameter] public SwitchParameter Quiet { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var pattern in Name)
        {
            List<string> names;
            try
            {
                names = WildcardPattern.ContainsWildcardCharacters(pattern) ? Engine.ListBackends(pattern).Select(b => b.Name).ToList() : new() { pattern };
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, pattern); continue; }
            foreach (var name in names)
            {
                try
                {
                    var report = RunEngine((engine, ct) => engine.TestBackendAsync(name, ct), $"Testing backend {name}");
                    if (!report.Passed && !Quiet)
                        WriteWarning($"Backend '{report.Backend}' ({report.Endpoint}) did not pass: {report.Error ?? report.StorageDetail ?? "see the report"}");
                    if (Quiet) WriteObject(report.Passed); else WriteObject(report);
                }
                catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
            }
        }
    }
}
