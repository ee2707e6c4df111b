using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Set-IscsiLun: changes LUNs' description and CHAP settings. For an assigned (Active) LUN the new credential is
/// written to the node's ACL at once; LUNs sharing that ACL change with it. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Lun))]
public sealed class SetIscsiLunCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>New description; an empty string keeps the current one.</summary>
    [Parameter] public string? Description { get; set; }

    /// <summary>New CHAP user and secret (an empty password keeps the secret, or generates one with -RotateChap). Implies -EnableChap.</summary>
    [Parameter]
    [Credential]
    public PSCredential? ChapCredential { get; set; }

    /// <summary>New mutual CHAP user and secret. Implies -MutualChap.</summary>
    [Parameter]
    [Credential]
    public PSCredential? MutualChapCredential { get; set; }

    /// <summary>Generates new secrets (and mutual secrets) from a CSPRNG.</summary>
    [Parameter] public SwitchParameter RotateChap { get; set; }

    [Parameter] public SwitchParameter EnableChap { get; set; }
    [Parameter] public SwitchParameter DisableChap { get; set; }

    /// <summary>-MutualChap turns mutual CHAP on; -MutualChap:$false turns it off.</summary>
    [Parameter] public SwitchParameter MutualChap { get; set; }

    /// <summary>Writes the changed LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    ChapChange? _chap;

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string>
    {
        ["ChapUser"] = "ChapCredential", ["ChapSecret"] = "ChapCredential",
        ["MutualChapUser"] = "MutualChapCredential", ["MutualChapSecret"] = "MutualChapCredential",
    };

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (EnableChap && DisableChap) ThrowInvalidArgument("DisableChap", "it cannot be used with -EnableChap.");
        var credential = Credentials.IsGiven(ChapCredential);
        var mutualCredential = Credentials.IsGiven(MutualChapCredential);
        if (DisableChap && (credential || mutualCredential || RotateChap || (IsBound(nameof(MutualChap)) && MutualChap)))
            ThrowInvalidArgument("DisableChap", "it cannot be used with -ChapCredential, -MutualChapCredential, -RotateChap or -MutualChap.");
        if (IsBound(nameof(MutualChap)) && !MutualChap && mutualCredential)
            ThrowInvalidArgument("MutualChapCredential", "it cannot be used with -MutualChap:$false.");

        var any = credential || mutualCredential || RotateChap || EnableChap || DisableChap || IsBound(nameof(MutualChap));
        if (!any) return;
        bool? enable = DisableChap ? false : (EnableChap || credential || mutualCredential || (IsBound(nameof(MutualChap)) && MutualChap)) ? true : null;
        bool? mutual = mutualCredential ? true : IsBound(nameof(MutualChap)) ? MutualChap.IsPresent : DisableChap ? false : null;
        _chap = new ChapChange
        {
            Enable = enable, Rotate = RotateChap, User = Credentials.User(ChapCredential), Secret = Credentials.Secret(ChapCredential),
            Mutual = mutual, MutualUser = Credentials.User(MutualChapCredential), MutualSecret = Credentials.Secret(MutualChapCredential),
        };
    }

    protected override void ProcessRecord()
    {
        var description = string.IsNullOrEmpty(Description) ? null : Description;
        var what = new List<string>();
        if (description is not null) what.Add("set the description");
        if (_chap is not null) what.Add(_chap.Enable == false ? "disable CHAP" : _chap.Rotate ? "rotate the CHAP secret" : "change CHAP");
        foreach (var name in Name)
        {
            try
            {
                // The checks the change makes first, so -WhatIf and -Confirm see what the change would see.
                var check = Engine.CheckUpdateLun(name, description, _chap);
                if (!check.Succeeded) { WriteOutcomeError(check, PureBootErrorIds.LunUpdateFailed); continue; }
                if (!ShouldProcess($"LUN '{name}'", what.Count == 0 ? "Save unchanged" : string.Join(", ", what))) continue;
                var o = RunEngine((engine, ct) => engine.UpdateLunAsync(name, description, _chap, ct), $"Updating LUN {name}");
                foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
                if (!o.Succeeded) WriteOutcomeError(o, PureBootErrorIds.LunUpdateFailed);
                else if (PassThru && o.Lun is not null) WriteObject(o.Lun);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
