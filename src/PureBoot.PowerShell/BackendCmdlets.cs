using System.Management.Automation;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>New-IscsiBackend: records a storage host running the LIO target. Sends nothing to the host.</summary>
[Cmdlet(VerbsCommon.New, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Backend))]
public sealed class NewIscsiBackendCommand : PureBootCmdlet
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
    [ValidateRange(1, 65535)]
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
    [ValidateRange(1, 65535)]
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

    protected override IReadOnlyDictionary<string, string>? ParameterNames { get; } = new Dictionary<string, string> { ["Host"] = "HostName" };

    protected override void ProcessRecord()
    {
        var spec = new BackendSpec
        {
            ThinPool = string.IsNullOrEmpty(ThinPool) ? null : ThinPool, MaxFillPercent = MaxFillPercent,
            Name = Name, Transport = Transport, Host = HostName, Port = Port, User = User,
            IdentityFile = LocalPath(IdentityFile), UseSudo = UseSudo.IsPresent, HostKeyPolicy = HostKeyPolicy,
            KnownHostsFile = LocalPath(KnownHostsFile), IqnPrefix = IqnPrefix, PortalAddress = PortalAddress, PortalPort = PortalPort,
            Storage = Storage, StoragePath = StoragePath, ImageDirectory = ImageDirectory, Mode = Mode,
            SimulationStatePath = LocalPath(SimulationStatePath), Description = Description,
        };
        if (!ShouldProcess($"backend '{Name}' ({Transport}{(HostName is null ? "" : " " + HostName)})", "Add to the PureBoot inventory")) return;
        try
        {
            WriteObject(Engine.AddBackend(spec));
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }

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

/// <summary>Get-IscsiBackend: lists backends by name (wildcards).</summary>
[Cmdlet(VerbsCommon.Get, "IscsiBackend")]
[OutputType(typeof(Backend))]
public sealed class GetIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var seen = new HashSet<long>();
            foreach (var pattern in Name is { Length: > 0 } ? Name : new[] { "*" })
            {
                var found = Engine.ListBackends(pattern);
                if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    WriteError(PureBootErrors.Make(PureBootErrorIds.NotFound, ErrorCategory.ObjectNotFound, $"No backend named '{pattern}'.", pattern));
                    continue;
                }
                foreach (var b in found) if (seen.Add(b.Id)) WriteObject(b);
            }
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

/// <summary>Set-IscsiBackend: changes a backend's connection, portal and (while it has no LUNs) storage settings.</summary>
[Cmdlet(VerbsCommon.Set, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Backend))]
public sealed class SetIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter] public TransportKind Transport { get; set; }
    [Parameter] [Alias("Host", "ComputerName")] public string? HostName { get; set; }
    [Parameter] [ValidateRange(1, 65535)] public int Port { get; set; }
    [Parameter] public string? User { get; set; }
    [Parameter] public string? IdentityFile { get; set; }
    [Parameter] public SwitchParameter UseSudo { get; set; }
    [Parameter] public HostKeyPolicy HostKeyPolicy { get; set; }
    [Parameter] public string? KnownHostsFile { get; set; }
    [Parameter] public string? IqnPrefix { get; set; }
    [Parameter] public string? PortalAddress { get; set; }
    [Parameter] [ValidateRange(1, 65535)] public int PortalPort { get; set; }
    [Parameter] public StorageKind Storage { get; set; }
    [Parameter] public string? StoragePath { get; set; }
    [Parameter] public string? ImageDirectory { get; set; }
    [Parameter] public TargetMode Mode { get; set; }
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
        if (!ShouldProcess($"backend '{Name}'", changed.Count == 0 ? "Save unchanged" : $"Change {string.Join(", ", changed)}")) return;
        try
        {
            var b = Engine.UpdateBackend(Name, u =>
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
                if (IsBound(nameof(SimulationStatePath))) u.SimulationStatePath = BackendPaths.Local(this, SimulationStatePath);
                if (IsBound(nameof(Description))) u.Description = string.IsNullOrEmpty(Description) ? null : Description;
                if (IsBound(nameof(ThinPool))) u.ThinPool = string.IsNullOrEmpty(ThinPool) ? null : ThinPool;
                if (IsBound(nameof(MaxFillPercent))) u.MaxFillPercent = MaxFillPercent;
            });
            if (PassThru) WriteObject(b);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

/// <summary>Remove-IscsiBackend: forgets a backend that has no LUNs. Sends nothing to the host.</summary>
[Cmdlet(VerbsCommon.Remove, "IscsiBackend", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(Backend))]
public sealed class RemoveIscsiBackendCommand : PureBootCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackendNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Writes the removed backend.</summary>
    [Parameter] public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"backend '{Name}'", "Remove from the PureBoot inventory")) return;
        try
        {
            var b = PassThru ? Engine.GetBackend(Name) : null;
            Engine.RemoveBackend(Name);
            if (b is not null) WriteObject(b);
        }
        catch (Exception e) when (IsReportable(e)) { WriteFailure(e, Name); }
    }
}

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
