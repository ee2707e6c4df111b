using System.Management.Automation;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Secrets;
using PureBoot.Core.Validation;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiLun: creates LUNs (backing file or volume, storage object, export) in batches of up to 250, one
/// targetcli start per backend per batch. -Name binds from the Name of piped objects, so
/// <c>Get-IscsiNode web* | New-IscsiLun -SizeGB 40 -Backend san1</c> makes one LUN per node, named after it.
/// </summary>
[Cmdlet(VerbsCommon.New, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SizeGBSet)]
[OutputType(typeof(Lun))]
public sealed class NewIscsiLunCommand : LunBatchCmdlet<LunCreateRequest>
{
    const string SizeGBSet = "SizeGB";
    const string SizeBytesSet = "SizeBytes";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = "";

    /// <summary>Size in GiB (fractions allowed; rounded up to whole MiB).</summary>
    [Parameter(Position = 1, ParameterSetName = SizeGBSet)]
    public double SizeGB { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SizeBytesSet)]
    public long SizeBytes { get; set; }

    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string Backend { get; set; } = "";

    [Parameter] public LunPurpose Purpose { get; set; } = LunPurpose.BootFromSan;

    /// <summary>An image on the backend (under its image directory) to copy into the new LUN.</summary>
    [Parameter] public string? SourceImage { get; set; }

    /// <summary>A registered image (New-IscsiImage): the LUN is a clone of it (reflink or thin snapshot) and records it as its lineage.</summary>
    [Parameter] public string? Image { get; set; }

    /// <summary>The image's version; default the latest.</summary>
    [Parameter] public int ImageVersion { get; set; }

    [Parameter] public string? Description { get; set; }

    /// <summary>No CHAP: any initiator with the node's IQN can log in. Not recommended.</summary>
    [Parameter] public SwitchParameter NoChap { get; set; }

    /// <summary>CHAP user and secret (12-16 characters). An empty password means: generate the secret. Default: user = LUN name, generated secret.</summary>
    [Parameter]
    [Credential]
    public PSCredential? ChapCredential { get; set; }

    /// <summary>Mutual CHAP (the target proves itself to the initiator too).</summary>
    [Parameter] public SwitchParameter MutualChap { get; set; }

    /// <summary>Mutual CHAP user and secret; implies -MutualChap. Default: user = &lt;backend&gt;-target, generated secret.</summary>
    [Parameter]
    [Credential]
    public PSCredential? MutualChapCredential { get; set; }

    /// <summary>Assign each new LUN to this node in the same batch (one targetcli run for create and assign).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Node { get; set; }

    /// <summary>Assign each new LUN to the node of the same name, in the same batch (with Get-IscsiNode | New-IscsiLun).</summary>
    [Parameter] public SwitchParameter Assign { get; set; }

    long _sizeBytes;
    string? _chapUser, _chapSecret, _mutualUser, _mutualSecret;
    bool _mutual;

    protected override string Activity => "Creating LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunCreateFailed;
    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = LunParameterNames.Create;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            if (IsBound(nameof(SizeGB))) _sizeBytes = InputValidator.SizeFromGB(SizeGB, "SizeGB");
            else if (IsBound(nameof(SizeBytes))) _sizeBytes = InputValidator.SizeBytes(SizeBytes, "SizeBytes");
            else if (SourceImage is null && Image is null) ThrowInvalidArgument("SizeGB", "Parameter 'SizeGB' is required unless -Image (or -SourceImage, for a FileIO image) gives the disk (then the LUN takes the image's size).");
        }
        catch (ValidationException e) { ThrowFailure(e, null); }

        _mutual = MutualChap.IsPresent || Credentials.IsGiven(MutualChapCredential);
        if (NoChap && (Credentials.IsGiven(ChapCredential) || _mutual))
            ThrowInvalidArgument("NoChap", "Parameter 'NoChap' cannot be used with -ChapCredential, -MutualChap or -MutualChapCredential.");
        _chapUser = Credentials.User(ChapCredential);
        _chapSecret = Credentials.Secret(ChapCredential);
        _mutualUser = Credentials.User(MutualChapCredential);
        _mutualSecret = Credentials.Secret(MutualChapCredential);
        LunParameterNames.CheckSecrets(this, _chapUser, _chapSecret, _mutualUser, _mutualSecret);
        if (Assign && Node is not null) ThrowInvalidArgument("Assign", "Parameter 'Assign' (node named like each LUN) cannot be used with -Node.");
    }

    protected override void ProcessRecord()
    {
        var size = _sizeBytes == 0 ? (Image is null ? "the image's size" : $"a clone of image {Image}{(IsBound(nameof(ImageVersion)) ? $":v{ImageVersion}" : "")}") : $"{_sizeBytes / 1073741824.0:0.##} GB";
        if (!ShouldProcess($"LUN '{Name}' ({size} on backend '{Backend}')", "Create and export")) return;
        Enqueue(Name, new LunCreateRequest
        {
            Name = Name, SizeBytes = _sizeBytes, Backend = Backend, Purpose = Purpose, SourceImage = SourceImage, Description = Description,
            Image = Image, ImageVersion = IsBound(nameof(ImageVersion)) ? ImageVersion : null,
            Chap = !NoChap, ChapUser = _chapUser, ChapSecret = _chapSecret,
            MutualChap = _mutual, MutualChapUser = _mutualUser, MutualChapSecret = _mutualSecret,
            Node = Assign ? Name : Node,
        });
    }

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunCreateRequest> batch, CancellationToken ct) =>
        engine.CreateLunsAsync(batch, ct);
}

/// <summary>Core's parameter names → the LUN cmdlets' names, and the CHAP checks made before anything is queued.</summary>
internal static class LunParameterNames
{
    public static readonly IReadOnlyDictionary<string, string> Create = new Dictionary<string, string>
    {
        ["ChapUser"] = "ChapCredential", ["ChapSecret"] = "ChapCredential",
        ["MutualChapUser"] = "MutualChapCredential", ["MutualChapSecret"] = "MutualChapCredential",
    };

    public static readonly IReadOnlyDictionary<string, string> Assign = new Dictionary<string, string> { ["Lun"] = "Name" };

    /// <summary>Checks given CHAP users and secrets once (the same for every item), so a bad one stops the command early.</summary>
    public static void CheckSecrets(PureBootCmdlet cmdlet, string? user, string? secret, string? mutualUser, string? mutualSecret)
    {
        Check(cmdlet, () => { if (user is not null) InputValidator.ChapUser(user, "ChapCredential"); });
        Check(cmdlet, () => { if (secret is not null) ChapSecrets.Validate(secret, "ChapCredential"); });
        Check(cmdlet, () => { if (mutualUser is not null) InputValidator.ChapUser(mutualUser, "MutualChapCredential"); });
        Check(cmdlet, () => { if (mutualSecret is not null) ChapSecrets.Validate(mutualSecret, "MutualChapCredential"); });
        if (secret is not null && mutualSecret is not null && string.Equals(secret, mutualSecret, StringComparison.Ordinal))
            Check(cmdlet, () => throw new ValidationException("MutualChapCredential", "Parameter 'MutualChapCredential': the mutual secret must differ from the initiator's secret."));
    }

    static void Check(PureBootCmdlet cmdlet, Action check)
    {
        try { check(); }
        catch (ArgumentException e) { cmdlet.ThrowArgument(e); }
    }
}

/// <summary>Get-IscsiLun: lists LUNs from the inventory (no target is contacted; see Get-IscsiTargetStatus for the live view).</summary>
[Cmdlet(VerbsCommon.Get, "IscsiLun")]
[OutputType(typeof(Lun))]
public sealed class GetIscsiLunCommand : PureBootCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string? Backend { get; set; }

    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Node { get; set; }

    [Parameter] public LunStatus Status { get; set; }
    [Parameter] public LunPurpose Purpose { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var seen = new HashSet<long>();
            var filtered = Backend is not null || Node is not null || IsBound(nameof(Status)) || IsBound(nameof(Purpose));
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = Engine.ListLuns(new LunFilter
                {
                    NameLike = pattern, Backend = Backend, Node = Node,
                    Status = IsBound(nameof(Status)) ? Status : null,
                    Purpose = IsBound(nameof(Purpose)) ? Purpose : null,
                });
                if (found.Count == 0 && !filtered && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No LUN named '{pattern}'.", pattern));
                    continue;
                }
                foreach (var l in found) if (seen.Add(l.Id)) WriteObject(l);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

/// <summary>
/// Set-IscsiLun: changes a LUN's description and CHAP settings. For an assigned (Active) LUN the new credential is
/// written to the node's ACL at once; LUNs sharing that ACL change with it.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Lun))]
public sealed class SetIscsiLunCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Name { get; set; } = "";

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

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = LunParameterNames.Create;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (EnableChap && DisableChap) ThrowInvalidArgument("DisableChap", "Parameters 'EnableChap' and 'DisableChap' cannot be used together.");
        var credential = Credentials.IsGiven(ChapCredential);
        var mutualCredential = Credentials.IsGiven(MutualChapCredential);
        if (DisableChap && (credential || mutualCredential || RotateChap || (IsBound(nameof(MutualChap)) && MutualChap)))
            ThrowInvalidArgument("DisableChap", "Parameter 'DisableChap' cannot be used with -ChapCredential, -MutualChapCredential, -RotateChap or -MutualChap.");
        if (IsBound(nameof(MutualChap)) && !MutualChap && mutualCredential)
            ThrowInvalidArgument("MutualChapCredential", "Parameter 'MutualChapCredential' cannot be used with -MutualChap:$false.");
        var secret = Credentials.Secret(ChapCredential);
        var mutualSecret = Credentials.Secret(MutualChapCredential);
        LunParameterNames.CheckSecrets(this, Credentials.User(ChapCredential), secret, Credentials.User(MutualChapCredential), mutualSecret);

        var any = credential || mutualCredential || RotateChap || EnableChap || DisableChap || IsBound(nameof(MutualChap));
        if (any)
        {
            bool? enable = DisableChap ? false : (EnableChap || credential || mutualCredential || (IsBound(nameof(MutualChap)) && MutualChap)) ? true : null;
            bool? mutual = mutualCredential ? true : IsBound(nameof(MutualChap)) ? MutualChap.IsPresent : DisableChap ? false : null;
            _chap = new ChapChange
            {
                Enable = enable, Rotate = RotateChap, User = Credentials.User(ChapCredential), Secret = secret,
                Mutual = mutual, MutualUser = Credentials.User(MutualChapCredential), MutualSecret = mutualSecret,
            };
        }
    }

    protected override void ProcessRecord()
    {
        var what = new List<string>();
        if (!string.IsNullOrEmpty(Description)) what.Add("set the description");
        if (_chap is not null) what.Add(_chap.Enable == false ? "disable CHAP" : _chap.Rotate ? "rotate the CHAP secret" : "change CHAP");
        if (!ShouldProcess($"LUN '{Name}'", what.Count == 0 ? "Save unchanged" : string.Join(", ", what))) return;
        try
        {
            var o = RunEngine((engine, ct) => engine.UpdateLunAsync(Name, string.IsNullOrEmpty(Description) ? null : Description, _chap, ct), $"Updating LUN {Name}");
            foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
            if (!o.Succeeded) WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.LunUpdateFailed, ParameterNames));
            else if (PassThru && o.Lun is not null) WriteObject(o.Lun);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

/// <summary>
/// Resize-IscsiLun: grows a LUN (never shrinks). FileIO LUNs are re-exported, so the node loses the disk for a
/// moment: grow while the node is down.
/// </summary>
[Cmdlet(VerbsCommon.Resize, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "SizeGB")]
[OutputType(typeof(Lun))]
public sealed class ResizeIscsiLunCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>The new size in GiB (fractions allowed).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "SizeGB")]
    public double SizeGB { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "SizeBytes")]
    public long SizeBytes { get; set; }

    /// <summary>Writes the resized LUN.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    long _bytes;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            _bytes = ParameterSetName == "SizeBytes" ? InputValidator.SizeBytes(SizeBytes, "SizeBytes") : InputValidator.SizeFromGB(SizeGB, "SizeGB");
        }
        catch (ValidationException e) { ThrowFailure(e, null); }
    }

    protected override IReadOnlyDictionary<string, string>? ParameterNames =>
        ParameterSetName == "SizeBytes" ? null : new Dictionary<string, string> { ["SizeBytes"] = "SizeGB" };

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"LUN '{Name}'", $"Grow to {_bytes / 1073741824.0:0.##} GB ({_bytes} bytes)")) return;
        try
        {
            var o = RunEngine((engine, ct) => engine.ResizeLunAsync(Name, _bytes, ct), $"Resizing LUN {Name}");
            foreach (var w in o.Warnings) WriteWarning($"{o.Name}: {w}");
            if (!o.Succeeded) WriteError(PureBootErrors.FromOutcome(o, PureBootErrorIds.LunResizeFailed, ParameterNames));
            else if (PassThru && o.Lun is not null) WriteObject(o.Lun);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

/// <summary>
/// Remove-IscsiLun: unexports LUNs and deletes their backing files or volumes, in batches of up to 250.
/// <c>Get-IscsiLun -Status Error | Remove-IscsiLun</c> removes every failed LUN.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Lun))]
public sealed class RemoveIscsiLunCommand : LunBatchCmdlet<LunRemoveRequest>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Lun")]
    [ArgumentCompleter(typeof(LunNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Also removes a LUN that is still assigned to a node (the node loses its disk).</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    /// <summary>Keeps the image file or logical volume; only the LIO objects and the inventory row go.</summary>
    [Parameter] public SwitchParameter KeepBackingFile { get; set; }

    /// <summary>Writes each removed LUN as it was last recorded.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override string Activity => "Removing LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunRemoveFailed;

    protected override void ProcessRecord()
    {
        var action = KeepBackingFile ? "Unexport and forget (keep the backing file)" : "Unexport and delete the backing file";
        if (!ShouldProcess($"LUN '{Name}'", Force ? action + ", even if assigned" : action)) return;
        Enqueue(Name, new LunRemoveRequest(Name, Force, KeepBackingFile));
    }

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunRemoveRequest> batch, CancellationToken ct) =>
        engine.RemoveLunsAsync(batch, ct);

    protected override void WriteSucceeded(LunOutcome outcome)
    {
        if (PassThru && outcome.Lun is not null) WriteObject(outcome.Lun);
    }
}
