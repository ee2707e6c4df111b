using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using PureBoot.Core.Io;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>
/// The OpenSSH ControlMaster connection per backend: every session of a run rides on it, so a run pays for one
/// handshake. Control commands (-O check/exit) are one-shot processes run through CliWrap; the master itself is
/// started with Process because ssh -f backgrounds with our stdio inherited, and CliWrap would wait on those pipes.
/// </summary>
internal sealed class SshMaster
{
    readonly ShellOptions _options;
    int _handshakes;

    public SshMaster(ShellOptions options) => _options = options;

    public int Handshakes => _handshakes;

    public IEnumerable<string> Arguments(Backend b, bool forMaster = false)
    {
        PrivateFiles.EnsureDirectory(_options.ControlDirectory);
        var args = new List<string>
        {
            "-T", "-o", "BatchMode=yes", "-o", $"ConnectTimeout={_options.ConnectTimeoutSeconds}",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
            "-o", $"StrictHostKeyChecking={(b.HostKeyPolicy == HostKeyPolicy.Strict ? "yes" : "accept-new")}",
            "-o", $"ControlPath={ControlPath(b)}",
            "-o", forMaster ? "ControlMaster=yes" : "ControlMaster=no",
            "-o", $"ControlPersist={_options.ControlPersistSeconds}",
            "-p", b.Port.ToString(CultureInfo.InvariantCulture),
        };
        if (b.KnownHostsFile is not null) { args.Add("-o"); args.Add($"UserKnownHostsFile={b.KnownHostsFile}"); }
        if (b.IdentityFile is not null) { args.Add("-i"); args.Add(b.IdentityFile); args.Add("-o"); args.Add("IdentitiesOnly=yes"); }
        if (b.User is not null) { args.Add("-l"); args.Add(b.User); }
        args.Add("--");
        args.Add(b.Host ?? throw new ArgumentException($"Backend '{b.Name}' has no host."));
        return args;
    }

    /// <summary>
    /// The master's socket, named by PureBoot from everything that decides how the connection was made (user, host,
    /// port, identity, known_hosts, host-key policy): backends that differ in any of these never share a master,
    /// and PureBoot can find and remove a socket a killed master left behind.
    /// </summary>
    public string ControlPath(Backend b)
    {
        var id = $"{b.User}@{b.Host}:{b.Port}|{b.IdentityFile}|{b.KnownHostsFile}|{b.HostKeyPolicy}";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..20].ToLowerInvariant();
        return Path.Combine(_options.ControlDirectory, hash + ".sock");
    }

    /// <summary>Starts the shared master connection if none runs.</summary>
    public async Task EnsureAsync(Backend b, CancellationToken ct)
    {
        if ((await ControlAsync(b, "check", ct)).ExitCode == 0) return;
        // Serialise master start-up across processes: otherwise every PureBoot process starting at once starts a
        // master, and the losers stay behind as plain connections for ever.
        using var gate = await LockFileAsync(ControlPath(b) + ".lock", TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds * 2 + 30), ct);
        if ((await ControlAsync(b, "check", ct)).ExitCode == 0) return;
        // No live master: a socket left by a killed one would make the new master give up multiplexing.
        try { File.Delete(ControlPath(b)); } catch (IOException) { }
        await StartAsync(b, ct);
        Interlocked.Increment(ref _handshakes);
    }

    async Task StartAsync(Backend b, CancellationToken ct)
    {
        // -f -N: authenticate, then keep the master in the background. Its errors go to a file (ssh -E), not a pipe,
        // so the backgrounded master cannot hold our pipe open.
        var errFile = Path.Combine(_options.ControlDirectory, $"master-{Guid.NewGuid():N}.err");
        try
        {
            var psi = new ProcessStartInfo("ssh") { RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in new[] { "-E", errFile, "-f", "-N", "-o", "LogLevel=ERROR" }.Concat(Arguments(b, forMaster: true)))
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new TargetHostException(b.Endpoint, TargetHostFailure.Unreachable, $"Could not start ssh for {b.Endpoint}.");
            p.StandardInput.Close();
            var limit = _options.ConnectTimeoutSeconds * 2 + 10;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(limit));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                try { p.Kill(true); } catch (InvalidOperationException) { }
                throw new TargetHostException(b.Endpoint, TargetHostFailure.Unreachable, $"ssh to {b.Endpoint} did not connect within {limit} s.");
            }
            if (p.ExitCode != 0)
                throw HostFailures.Classify(b, File.Exists(errFile) ? File.ReadAllText(errFile).Trim() : "", p.ExitCode);
        }
        finally { try { File.Delete(errFile); } catch (IOException) { } }
    }

    static async Task<FileStream> LockFileAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(100, ct); }
        }
    }

    Task<BufferedCommandResult> ControlAsync(Backend b, string command, CancellationToken ct) =>
        Cli.Wrap("ssh")
           .WithArguments(new[] { "-O", command }.Concat(Arguments(b)))
           .WithStandardInputPipe(PipeSource.Null)
           .WithValidation(CommandResultValidation.None)
           .ExecuteBufferedAsync(ct);

    /// <summary>Closes the shared master connection for a backend (e.g. after its host key changed).</summary>
    public async Task CloseAsync(Backend b, CancellationToken ct)
    {
        if (b.Transport == TransportKind.Ssh) await ControlAsync(b, "exit", ct);
    }
}
