using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Set-IscsiBackend: changes backends' connection, portal and executor settings, and (while a backend has no LUNs) its
/// storage. Writes nothing unless -PassThru.
/// </summary>
[Cmdlet(VerbsCommon.Set, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Backend))]
public sealed class SetIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter] public TransportKind Transport { get; set; }
    [Parameter] [Alias("Host", "ComputerName")] public string? HostName { get; set; }
    [Parameter] public int Port { get; set; }
    [Parameter] public string? User { get; set; }
    [Parameter] public string? IdentityFile { get; set; }
    [Parameter] public SwitchParameter UseSudo { get; set; }
    [Parameter] public HostKeyPolicy HostKeyPolicy { get; set; }
    [Parameter] public string? KnownHostsFile { get; set; }
    [Parameter] public string? IqnPrefix { get; set; }
    [Parameter] public string? PortalAddress { get; set; }
    [Parameter] public int PortalPort { get; set; }
    [Parameter] public StorageKind Storage { get; set; }
    [Parameter] public string? StoragePath { get; set; }
    [Parameter] public string? ImageDirectory { get; set; }
    [Parameter] public TargetMode Mode { get; set; }
    [Parameter] public LioExecutorKind Executor { get; set; }
    [Parameter] public string? SimulationStatePath { get; set; }
    [Parameter] public string? Description { get; set; }
    /// <summary>Block: the thin pool; an empty string removes it.</summary>
    [Parameter] public string? ThinPool { get; set; }
    [Parameter] public int MaxFillPercent { get; set; }

    /// <summary>Writes the changed backend.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Host"] = "HostName" };

    protected override void ProcessRecord()
    {
        var changed = MyInvocation.BoundParameters.Keys.Where(k => k is not ("Name" or "PassThru" or "Database" or "DatabasePath" or "WhatIf" or "Confirm")
            && !CommonParameters.Contains(k) && !OptionalCommonParameters.Contains(k)).ToList();
        foreach (var name in Name)
        {
            try
            {
                Engine.CheckUpdateBackend(name, Change);   // the checks the change makes, under -WhatIf too
                if (!ShouldProcess($"backend '{name}'", changed.Count == 0 ? "Save unchanged" : $"Change {string.Join(", ", changed)}")) continue;
                var b = Engine.UpdateBackend(name, Change);
                if (PassThru) WriteObject(b);
            }
            catch (Exception e) when (IsReportable(e)) { WriteFailure(e, name); }
        }
    }

    void Change(BackendSpecUpdate u)
    {
        if (IsBound(nameof(Transport))) u.Transport = Transport;
        if (IsBound(nameof(HostName))) u.Host = HostName;
        if (IsBound(nameof(Port))) u.Port = Port;
        if (IsBound(nameof(User))) u.User = string.IsNullOrEmpty(User) ? null : User;
        if (IsBound(nameof(IdentityFile))) u.IdentityFile = string.IsNullOrEmpty(IdentityFile) ? null : BackendPaths.Local(this, IdentityFile);
        if (IsBound(nameof(UseSudo))) u.UseSudo = UseSudo.IsPresent;
        if (IsBound(nameof(HostKeyPolicy))) u.HostKeyPolicy = HostKeyPolicy;
        if (IsBound(nameof(KnownHostsFile))) u.KnownHostsFile = string.IsNullOrEmpty(KnownHostsFile) ? null : BackendPaths.Local(this, KnownHostsFile);
        if (IsBound(nameof(IqnPrefix))) u.IqnPrefix = IqnPrefix!;
        if (IsBound(nameof(PortalAddress))) u.PortalAddress = PortalAddress!;
        if (IsBound(nameof(PortalPort))) u.PortalPort = PortalPort;
        if (IsBound(nameof(Storage))) u.Storage = Storage;
        if (IsBound(nameof(StoragePath))) u.StoragePath = StoragePath!;
        if (IsBound(nameof(ImageDirectory))) u.ImageDirectory = string.IsNullOrEmpty(ImageDirectory) ? null : ImageDirectory;
        if (IsBound(nameof(Mode))) u.Mode = Mode;
        if (IsBound(nameof(Executor))) u.Executor = Executor;
        if (IsBound(nameof(SimulationStatePath))) u.SimulationStatePath = BackendPaths.Local(this, SimulationStatePath);
        if (IsBound(nameof(Description))) u.Description = string.IsNullOrEmpty(Description) ? null : Description;
        if (IsBound(nameof(ThinPool))) u.ThinPool = string.IsNullOrEmpty(ThinPool) ? null : ThinPool;
        if (IsBound(nameof(MaxFillPercent))) u.MaxFillPercent = MaxFillPercent;
    }
}
