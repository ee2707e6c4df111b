using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Validation;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiLun: creates LUNs (backing file or volume, storage object, export) in batches of up to 250, one session
/// per backend per batch. -Name binds from the Name of piped objects, so
/// <c>Get-IscsiNode web* | New-IscsiLun -SizeGB 40 -Backend san1</c> makes one LUN per node, named after it.
/// -IfNotExists makes a script that runs twice converge: a LUN that exists as asked is written as it is.
/// </summary>
[Cmdlet(VerbsCommon.New, "IscsiLun", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = SizeGBSet)]
[OutputType(typeof(Lun))]
public sealed class NewIscsiLunCommand : LunBatchCmdlet<LunCreateRequest>
{
    const string SizeGBSet = "SizeGB";
    const string SizeBytesSet = "SizeBytes";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string[] Name { get; set; } = Array.Empty<string>();

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
    [Parameter]
    [ArgumentCompleter(typeof(ImageNameCompleter))]
    public string? Image { get; set; }

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

    /// <summary>Assign each new LUN to this node in the same batch (one plan for create and assign).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string? Node { get; set; }

    /// <summary>Assign each new LUN to the node of the same name, in the same batch (with Get-IscsiNode | New-IscsiLun).</summary>
    [Parameter] public SwitchParameter Assign { get; set; }

    /// <summary>A LUN of that name that exists as asked is written as it is instead of failing (scripts that run twice).</summary>
    [Parameter] public SwitchParameter IfNotExists { get; set; }

    /// <summary>With -Node/-Assign: take the node's shared ACL credential even when the LUN would lose the CHAP settings asked for.</summary>
    [Parameter] public SwitchParameter Force { get; set; }

    long _sizeBytes;
    string? _chapUser, _chapSecret, _mutualUser, _mutualSecret;
    bool _mutual;

    protected override string Activity => "Creating LUNs";
    protected override string RejectedErrorId => PureBootErrorIds.LunCreateFailed;

    protected override IReadOnlyDictionary<string, string>? ParameterNames => new Dictionary<string, string>
    {
        ["SizeBytes"] = ParameterSetName == SizeBytesSet ? "SizeBytes" : "SizeGB",
        ["ChapUser"] = "ChapCredential", ["ChapSecret"] = "ChapCredential",
        ["MutualChapUser"] = "MutualChapCredential", ["MutualChapSecret"] = "MutualChapCredential",
        ["Node"] = Assign ? "Assign" : "Node",
    };

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // -SizeGB is converted here (Core's conversion checks it); every other value is Core's to judge per item.
        try
        {
            if (IsBound(nameof(SizeGB))) _sizeBytes = InputValidator.SizeFromGB(SizeGB, "SizeGB");
            else if (IsBound(nameof(SizeBytes))) _sizeBytes = SizeBytes;
            else if (SourceImage is null && Image is null) ThrowInvalidArgument("SizeGB", "a size is required unless -Image (or -SourceImage, for a FileIO image) gives the disk (then the LUN takes the image's size).");
        }
        catch (ValidationException e) { ThrowFailure(e, null); }

        _mutual = MutualChap.IsPresent || Credentials.IsGiven(MutualChapCredential);
        if (NoChap && (Credentials.IsGiven(ChapCredential) || _mutual))
            ThrowInvalidArgument("NoChap", "it cannot be used with -ChapCredential, -MutualChap or -MutualChapCredential.");
        if (Assign && Node is not null) ThrowInvalidArgument("Assign", "it (the node named like each LUN) cannot be used with -Node.");
        if (Force && !Assign && Node is null) ThrowInvalidArgument("Force", "it only applies with -Node or -Assign (taking the node's shared CHAP credential).");
        _chapUser = Credentials.User(ChapCredential);
        _chapSecret = Credentials.Secret(ChapCredential);
        _mutualUser = Credentials.User(MutualChapCredential);
        _mutualSecret = Credentials.Secret(MutualChapCredential);
    }

    protected override void ProcessRecord()
    {
        var size = _sizeBytes != 0 ? $"{_sizeBytes / 1073741824.0:0.##} GB"
            : Image is null ? "the image's size" : $"a clone of image {Image}{(IsBound(nameof(ImageVersion)) ? $":v{ImageVersion}" : "")}";
        foreach (var name in Name)
        {
            var node = Assign ? name : Node;
            var request = new LunCreateRequest
            {
                Name = name, SizeBytes = _sizeBytes, Backend = Backend, Purpose = Purpose, SourceImage = SourceImage, Description = Description,
                Image = Image, ImageVersion = IsBound(nameof(ImageVersion)) ? ImageVersion : null,
                Chap = !NoChap, ChapUser = _chapUser, ChapSecret = _chapSecret,
                MutualChap = _mutual, MutualChapUser = _mutualUser, MutualChapSecret = _mutualSecret,
                Node = node, IfNotExists = IfNotExists, AdoptSharedChap = Force,
            };
            Submit(name, request, $"LUN '{name}' ({size} on backend '{Backend}')", node is null ? "Create and export" : $"Create, export and assign to node '{node}'");
        }
    }

    protected override IReadOnlyList<LunOutcome>? Check(PureBootEngine engine, LunCreateRequest item) => engine.CheckCreateLuns(new[] { item });

    protected override Task<IReadOnlyList<LunOutcome>> SendAsync(PureBootEngine engine, IReadOnlyList<LunCreateRequest> batch, CancellationToken ct) =>
        engine.CreateLunsAsync(batch, ct);
}
