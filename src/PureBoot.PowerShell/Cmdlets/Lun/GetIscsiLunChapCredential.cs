using System.Management.Automation;

namespace PureBoot.PowerShell;

/// <summary>
/// Get-IscsiLunChapCredential: the one way to read a LUN's CHAP secret back, as a PSCredential
/// (UserName = CHAP user, Password = secret). It reveals the secret on purpose, and writes an audit entry
/// (without the secret) each time.
/// </summary>
[Cmdlet(VerbsCommon.Get, "IscsiLunChapCredential")]
[OutputType(typeof(PSCredential))]
public sealed class GetIscsiLunChapCredentialCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The mutual (target) credential instead of the initiator's.</summary>
    [Parameter] public SwitchParameter Mutual { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                var c = Engine.GetChapCredential(name);
                if (Mutual)
                {
                    var secret = c.RevealMutualSecret();
                    if (c.MutualUser is null || secret is null)
                    {
                        WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"LUN '{c.Lun}' has no mutual CHAP credential.", name));
                        continue;
                    }
                    WriteObject(new PSCredential(c.MutualUser, Credentials.ToSecureString(secret)));
                }
                else WriteObject(new PSCredential(c.User, Credentials.ToSecureString(c.RevealSecret())));
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }
}
