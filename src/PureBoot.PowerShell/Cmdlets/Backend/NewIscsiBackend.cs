using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// New-IscsiBackend: records a storage host running the LIO target. Sends nothing to the host. With -IfNotExists a
/// backend that exists with the same settings is written as it is (scripts that run twice); one that differs is an
/// error that says what differs.
/// </summary>
[Cmdlet(VerbsCommon.New, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Backend))]
public sealed class NewIscsiBackendCommand : CatalogBatchCmdlet<BackendSpec, Backend>
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Name { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public TransportKind Transport { get; set; } = TransportKind.Local;

    /// <summary>Ssh: the storage host's DNS name or address.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Host", "ComputerName")]
    public string? HostName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int Port { get; set; } = 22;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? IdentityFile { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter UseSudo { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.Strict;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? KnownHostsFile { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string IqnPrefix { get; set; } = "iqn.2026-01.local.pureboot";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string PortalAddress { get; set; } = "0.0.0.0";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int PortalPort { get; set; } = 3260;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public StorageKind Storage { get; set; } = StorageKind.FileIO;

    /// <summary>FileIO: the image directory on the host (default /var/lib/pureboot/luns). Block: the LVM volume group (default pureboot).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? StoragePath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ImageDirectory { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public TargetMode Mode { get; set; } = TargetMode.Shared;

    /// <summary>How LIO changes are applied on the host: Rtslib (default: no targetcli start) or Targetcli.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public LioExecutorKind Executor { get; set; } = LioExecutorKind.Rtslib;

    /// <summary>Simulated: the JSON file that holds the simulated host.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? SimulationStatePath { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Description { get; set; }

    /// <summary>Block: the thin pool (an LV in the volume group) for thin LUNs, images and snapshots.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ThinPool { get; set; }

    /// <summary>Provisioning beyond this fill of the thin pool (data or metadata) or FileIO filesystem is refused.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int MaxFillPercent { get; set; } = 90;

    /// <summary>A backend of that name with the same settings is written as it is instead of failing.</summary>
    [Parameter] public SwitchParameter IfNotExists { get; set; }

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Host"] = "HostName" };

    protected override void ProcessRecord()
    {
        var spec = new BackendSpec
        {
            Name = Name, Transport = Transport, Host = HostName, Port = Port, User = User,
            IdentityFile = LocalPath(IdentityFile), UseSudo = UseSudo.IsPresent, HostKeyPolicy = HostKeyPolicy,
            KnownHostsFile = LocalPath(KnownHostsFile), IqnPrefix = IqnPrefix, PortalAddress = PortalAddress, PortalPort = PortalPort,
            Storage = Storage, StoragePath = StoragePath, ImageDirectory = ImageDirectory, Mode = Mode, Executor = Executor,
            SimulationStatePath = LocalPath(SimulationStatePath), Description = Description,
            ThinPool = string.IsNullOrEmpty(ThinPool) ? null : ThinPool, MaxFillPercent = MaxFillPercent,
        };
        Submit(Name, spec, $"backend '{Name}' ({Transport}{(HostName is null ? "" : " " + HostName)})", "Add to the PureBoot inventory");
    }

    protected override CatalogCheck<Backend> Check(PureBootEngine engine, BackendSpec item) => engine.CheckAddBackend(item, IfNotExists);

    protected override Backend Add(PureBootEngine engine, BackendSpec item) => engine.AddBackend(item, IfNotExists);

    /// <summary>Paths on this machine: relative to the current location, ~ expanded.</summary>
    internal string? LocalPath(string? path) => BackendPaths.Local(this, path);
}

internal static class BackendPaths
{
    public static string? Local(PSCmdlet cmdlet, string? path)
    {
        if (string.IsNullOrEmpty(path)) return path;
        try
        {
            var resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            if (provider.Name == "FileSystem") return resolved;
        }
        catch (Exception e) when (e is not PipelineStoppedException) { }
        return path;   // Core's validator explains what is wrong with it
    }
}
