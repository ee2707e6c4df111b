using System.Diagnostics;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

public sealed class ShellOptions
{
    /// <summary>Private directory for ssh ControlMaster sockets (created 0700).</summary>
    public string ControlDirectory { get; set; } = DefaultControlDirectory();
    public int ConnectTimeoutSeconds { get; set; } = 15;
    /// <summary>How long the master connection outlives the last session.</summary>
    public int ControlPersistSeconds { get; set; } = 300;
    public int LockWaitSeconds { get; set; } = 300;
    public TimeSpan ExchangeTimeout { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>Receives redacted progress text (-Verbose).</summary>
    public Action<string>? Log { get; set; }

    static string DefaultControlDirectory()
    {
        var run = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var baseDir = !string.IsNullOrEmpty(run) && Directory.Exists(run)
            ? run : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "pureboot-ssh");
    }
}

/// <summary>Opens bash on the storage host: locally, or through the OpenSSH client with connection reuse.</summary>
public sealed class ShellTargetHostConnector : ITargetHostConnector
{
    readonly ShellOptions _options;
    readonly SshMaster _master;

    public ShellTargetHostConnector(ShellOptions? options = null)
    {
        _options = options ?? new ShellOptions();
        _master = new SshMaster(_options);
    }

    /// <summary>SSH handshakes this connector paid for (a reused master connection costs none).</summary>
    public int Handshakes => _master.Handshakes;

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default)
    {
        if (backend.Transport == TransportKind.Simulated)
            throw new ArgumentException("A simulated backend is opened by the simulated connector.");
        var remote = backend.UseSudo ? "exec sudo -n /bin/bash -s" : "exec /bin/bash -s";
        ProcessStartInfo psi;
        if (backend.Transport == TransportKind.Ssh)
        {
            await _master.EnsureAsync(backend, cancellationToken);
            psi = new ProcessStartInfo("ssh");
            foreach (var a in _master.Arguments(backend)) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add(remote);
        }
        else if (backend.UseSudo)
        {
            psi = new ProcessStartInfo("sudo");
            foreach (var a in new[] { "-n", "/bin/bash", "-s" }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = new ProcessStartInfo("/bin/bash");
            psi.ArgumentList.Add("-s");
        }
        var session = new ShellSession(backend, psi, _options);
        try { await session.StartAsync(cancellationToken); }
        catch { await session.DisposeAsync(); throw; }
        return session;
    }

    internal IEnumerable<string> SshArguments(Backend b, bool forMaster = false) => _master.Arguments(b, forMaster);
    internal string ControlPath(Backend b) => _master.ControlPath(b);

    /// <summary>Closes the shared master connection for a backend (e.g. after its host key changed).</summary>
    public Task CloseMasterAsync(Backend b, CancellationToken ct = default) => _master.CloseAsync(b, ct);
}
