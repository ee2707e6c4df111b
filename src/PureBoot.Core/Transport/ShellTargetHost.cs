using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport;

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
    int _handshakes;
    public ShellTargetHostConnector(ShellOptions? options = null) => _options = options ?? new ShellOptions();

    /// <summary>SSH handshakes this connector paid for (a reused master connection costs none).</summary>
    public int Handshakes => _handshakes;

    public async Task<ITargetHostSession> OpenAsync(Backend backend, CancellationToken cancellationToken = default)
    {
        if (backend.Transport == TransportKind.Simulated)
            throw new ArgumentException("A simulated backend is opened by the simulated connector.");
        var remote = backend.UseSudo ? "exec sudo -n /bin/bash -s" : "exec /bin/bash -s";
        ProcessStartInfo psi;
        if (backend.Transport == TransportKind.Ssh)
        {
            if (await EnsureMasterAsync(backend, cancellationToken)) Interlocked.Increment(ref _handshakes);
            psi = new ProcessStartInfo("ssh");
            foreach (var a in SshArguments(backend)) psi.ArgumentList.Add(a);
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
        var session = new ShellTargetHostSession(backend, psi, _options);
        try { await session.StartAsync(cancellationToken); }
        catch { await session.DisposeAsync(); throw; }
        return session;
    }

    internal IEnumerable<string> SshArguments(Backend b, bool forMaster = false)
    {
        Directory.CreateDirectory(_options.ControlDirectory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_options.ControlDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var args = new List<string>
        {
            "-T", "-o", "BatchMode=yes", "-o", $"ConnectTimeout={_options.ConnectTimeoutSeconds}",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
            "-o", $"StrictHostKeyChecking={(b.HostKeyPolicy == HostKeyPolicy.Strict ? "yes" : "accept-new")}",
            "-o", $"ControlPath={ControlPath(b)}",
            "-o", forMaster ? "ControlMaster=yes" : "ControlMaster=no",
            "-o", $"ControlPersist={_options.ControlPersistSeconds}",
            "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
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
    internal string ControlPath(Backend b)
    {
        var id = $"{b.User}@{b.Host}:{b.Port}|{b.IdentityFile}|{b.KnownHostsFile}|{b.HostKeyPolicy}";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..20].ToLowerInvariant();
        return Path.Combine(_options.ControlDirectory, hash + ".sock");
    }

    /// <summary>Starts the shared master connection if none runs. Returns true when it had to handshake.</summary>
    async Task<bool> EnsureMasterAsync(Backend b, CancellationToken ct)
    {
        if ((await RunSshControlAsync(b, new[] { "-O", "check" }, ct)).Code == 0) return false;
        // Serialise master start-up across processes: otherwise every PureBoot process starting at once starts a
        // master, and the losers stay behind as plain connections for ever.
        using var gate = await LockFileAsync(ControlPath(b) + ".lock", TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds * 2 + 30), ct);
        if ((await RunSshControlAsync(b, new[] { "-O", "check" }, ct)).Code == 0) return false;
        // No live master: a socket left by a killed one would make the new master give up multiplexing.
        try { File.Delete(ControlPath(b)); } catch (IOException) { }
        // -f -N: authenticate, then keep the master in the background. Its stderr goes to a file, not a pipe,
        // so the backgrounded master cannot hold our pipe open.
        var errFile = Path.Combine(_options.ControlDirectory, $"master-{Guid.NewGuid():N}.err");
        try
        {
            var psi = new ProcessStartInfo("ssh") { RedirectStandardInput = true, RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false };
            var args = SshArguments(b, forMaster: true).ToList();
            args.InsertRange(0, new[] { "-f", "-N", "-o", $"LogLevel=ERROR" });
            // ssh -E appends its log to a file: the way to capture errors without a pipe.
            args.InsertRange(0, new[] { "-E", errFile });
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new TargetHostException(b.Endpoint, TargetHostFailure.Unreachable, $"Could not start ssh for {b.Endpoint}.");
            p.StandardInput.Close();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(_options.ConnectTimeoutSeconds * 2 + 10));
            try { await p.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { try { p.Kill(true); } catch { } throw new TargetHostException(b.Endpoint, TargetHostFailure.Unreachable, $"ssh to {b.Endpoint} did not connect within {_options.ConnectTimeoutSeconds * 2 + 10} s."); }
            if (p.ExitCode != 0)
            {
                var err = File.Exists(errFile) ? File.ReadAllText(errFile).Trim() : "";
                throw ShellTargetHostSession.Classify(b, err, p.ExitCode);
            }
            return true;
        }
        finally { try { File.Delete(errFile); } catch { } }
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

    async Task<(int Code, string Err)> RunSshControlAsync(Backend b, string[] control, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("ssh") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in control) psi.ArgumentList.Add(a);
        foreach (var a in SshArguments(b)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync(ct);
        await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await err);
    }

    /// <summary>Closes the shared master connection for a backend (e.g. after its host key changed).</summary>
    public async Task CloseMasterAsync(Backend b, CancellationToken ct = default)
    {
        if (b.Transport == TransportKind.Ssh) await RunSshControlAsync(b, new[] { "-O", "exit" }, ct);
    }
}

/// <summary>One bash process on the storage host, spoken to in request/response exchanges.</summary>
internal sealed class ShellTargetHostSession : ITargetHostSession
{
    readonly ProcessStartInfo _psi;
    readonly ShellOptions _options;
    readonly string _nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
    Process? _process;
    readonly StringBuilder _stderr = new();
    Task? _stderrPump;
    string? _saveFile;
    int _targetcliStarts, _exchanges;
    readonly Queue<string> _lines = new();
    readonly SemaphoreSlim _lineSignal = new(0);
    bool _eof;

    public Backend Backend { get; }
    public int TargetcliStarts => _targetcliStarts;
    public int Exchanges => _exchanges;

    public ShellTargetHostSession(Backend backend, ProcessStartInfo psi, ShellOptions options)
    {
        Backend = backend;
        _psi = psi;
        _options = options;
        _psi.RedirectStandardInput = _psi.RedirectStandardOutput = _psi.RedirectStandardError = true;
        _psi.UseShellExecute = false;
        _psi.StandardOutputEncoding = _psi.StandardErrorEncoding = new UTF8Encoding(false);
    }

    public async Task StartAsync(CancellationToken ct)
    {
        try { _process = Process.Start(_psi); }
        catch (Exception e) { throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Unreachable, $"Could not start {_psi.FileName} for backend '{Backend.Name}' ({Backend.Endpoint}): {e.Message}", e); }
        if (_process is null) throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Unreachable, $"Could not start {_psi.FileName}.");
        _stderrPump = Task.Run(async () =>
        {
            var buf = new char[4096];
            int n;
            while ((n = await _process.StandardError.ReadAsync(buf, 0, buf.Length)) > 0)
                lock (_stderr) { if (_stderr.Length < 65536) _stderr.Append(buf, 0, n); }
        });
        _ = Task.Run(async () =>
        {
            string? line;
            while ((line = await _process.StandardOutput.ReadLineAsync()) is not null)
            {
                lock (_lines) _lines.Enqueue(line);
                _lineSignal.Release();
            }
            _eof = true;
            _lineSignal.Release();
        });
        await SendAsync(ShellScripts.Prelude(_nonce, _options.LockWaitSeconds), ct);
        var started = Stopwatch.StartNew();
        await ReadUntilAsync($"@@PB-READY {_nonce}", TimeSpan.FromSeconds(_options.LockWaitSeconds + _options.ConnectTimeoutSeconds * 2 + 30), ct);
        _options.Log?.Invoke($"[{Backend.Name}] session open on {Backend.Endpoint}, lock held ({started.ElapsedMilliseconds} ms)");
    }

    async Task SendAsync(string text, CancellationToken ct)
    {
        try
        {
            await _process!.StandardInput.WriteAsync(text.AsMemory(), ct);
            await _process.StandardInput.FlushAsync(ct);
        }
        catch (IOException e)
        {
            await WaitBrieflyForExit();
            throw Fail($"the connection closed while sending ({e.Message})");
        }
    }

    async Task WaitBrieflyForExit()
    {
        try { using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)); await _process!.WaitForExitAsync(cts.Token); } catch { }
        if (_stderrPump is not null) await Task.WhenAny(_stderrPump, Task.Delay(1000));
    }

    async Task<List<string>> ReadUntilAsync(string marker, TimeSpan timeout, CancellationToken ct)
    {
        var result = new List<string>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string? line = null;
            lock (_lines) if (_lines.Count > 0) line = _lines.Dequeue();
            if (line is not null)
            {
                if (line.StartsWith("@@PB-FATAL ", StringComparison.Ordinal))
                {
                    await WaitBrieflyForExit();
                    var text = line["@@PB-FATAL ".Length..];
                    var failure = text.StartsWith("lock-timeout") ? TargetHostFailure.LockTimeout
                        : text.StartsWith("targetcli-missing") ? TargetHostFailure.TargetcliMissing : TargetHostFailure.ProtocolError;
                    throw new TargetHostException(Backend.Endpoint, failure, $"Backend '{Backend.Name}' ({Backend.Endpoint}): {text[(text.IndexOf(' ') + 1)..]}.");
                }
                if (line == marker || line.StartsWith(marker + " ", StringComparison.Ordinal)) { result.Add(line); return result; }
                result.Add(line);
                continue;
            }
            if (_eof)
            {
                await WaitBrieflyForExit();
                string err; lock (_stderr) err = _stderr.ToString();
                throw Classify(Backend, err, _process!.HasExited ? _process.ExitCode : -1);
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                try { _process!.Kill(true); } catch { }
                throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Timeout, $"Backend '{Backend.Name}' ({Backend.Endpoint}) did not answer within {timeout.TotalSeconds:0} s; the session was stopped.");
            }
            await _lineSignal.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
        }
    }

    TargetHostException Fail(string what)
    {
        string err; lock (_stderr) err = _stderr.ToString();
        var ex = Classify(Backend, err, _process is { HasExited: true } ? _process.ExitCode : -1);
        return new TargetHostException(ex.Host, ex.Failure, ex.Message + $" ({what})");
    }

    internal static TargetHostException Classify(Backend b, string stderr, int exitCode)
    {
        var err = Redaction.RedactText(stderr.Trim());
        var where = $"backend '{b.Name}' ({b.Endpoint})";
        if (err.Contains("Host key verification failed") || err.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || err.Contains("No ED25519 host key is known") || err.Contains("host key for"))
            return new(b.Endpoint, TargetHostFailure.HostKeyRejected, $"The SSH host key of {where} is unknown or changed, and the backend's host-key policy is {b.HostKeyPolicy}: add the key to known_hosts (or set -HostKeyPolicy AcceptNew). ssh said: {err}");
        if (err.Contains("Permission denied") || err.Contains("Too many authentication failures"))
            return new(b.Endpoint, TargetHostFailure.AuthenticationFailed, $"SSH authentication to {where} failed. ssh said: {err}");
        if (err.Contains("sudo:") && (err.Contains("password is required") || err.Contains("not in the sudoers") || err.Contains("not allowed")))
            return new(b.Endpoint, TargetHostFailure.SudoRefused, $"sudo was refused on {where}: the user needs passwordless sudo (sudo -n). sudo said: {err}");
        if (err.Contains("Connection refused") || err.Contains("timed out") || err.Contains("Could not resolve") || err.Contains("No route to host") || err.Contains("Network is unreachable") || err.Contains("Connection closed") || err.Contains("Connection reset") || err.Contains("Broken pipe"))
            return new(b.Endpoint, TargetHostFailure.Unreachable, $"Cannot reach {where}. ssh said: {err}");
        return new(b.Endpoint, TargetHostFailure.Unreachable, $"The shell on {where} ended unexpectedly (exit code {exitCode}){(err.Length > 0 ? ": " + err : ".")}");
    }

    async Task<List<string>> ExchangeAsync(string block, CancellationToken ct)
    {
        _exchanges++;
        await SendAsync(block + ShellScripts.Done(_nonce), ct);
        return await ReadUntilAsync($"@@PB-DONE {_nonce}", _options.ExchangeTimeout, ct);
    }

    static string Section(List<string> lines, string name, string nonce, out int? trailingCode)
    {
        trailingCode = null;
        var begin = lines.IndexOf($"@@PB-BEGIN {name} {nonce}");
        if (begin < 0) return "";
        var endPrefix = $"@@PB-END {name} {nonce}";
        var end = lines.FindIndex(begin + 1, l => l == endPrefix || l.StartsWith(endPrefix + " ", StringComparison.Ordinal));
        if (end < 0) return "";
        var tail = lines[end][endPrefix.Length..].Trim();
        if (int.TryParse(tail, out var code)) trailingCode = code;
        return string.Join("\n", lines.Skip(begin + 1).Take(end - begin - 1));
    }

    public async Task<HostSnapshot> SnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        var lines = await ExchangeAsync(ShellScripts.Snapshot(_nonce, Backend, request), cancellationToken);
        var json = Section(lines, "snapshot", _nonce, out var pyCode);
        var pyErr = Section(lines, "pyerr", _nonce, out _).Trim();
        if (pyCode != 0 || string.IsNullOrWhiteSpace(json))
        {
            var msg = Redaction.RedactText(pyErr.Split('\n').LastOrDefault(l => l.Trim().Length > 0) ?? "no output");
            var failure = pyErr.Contains("No module named") ? TargetHostFailure.TargetcliMissing : TargetHostFailure.TargetcliFailed;
            throw new TargetHostException(Backend.Endpoint, failure, $"Could not read the LIO configuration on backend '{Backend.Name}' ({Backend.Endpoint}) through rtslib: {msg}");
        }
        var obj = JsonNode.Parse(json)!.AsObject();
        _saveFile = obj["save_file"]?.GetValue<string>();
        var storage = new List<StorageEntry>();
        if (obj["storage"] is JsonArray arr)
            foreach (var e in arr.OfType<JsonObject>())
                storage.Add(new StorageEntry(e["name"]!.GetValue<string>(), e["size"]!.GetValue<long>(), e["allocated"]!.GetValue<long>()));
        // Sessions come from configfs in the same python run, rendered as `targetcli sessions detail` prints them.
        string? sessions = request.IncludeSessions ? RtslibSessions.ToTargetcliText(obj["sessions"]) : null;
        _options.Log?.Invoke($"[{Backend.Name}] read live state ({sw.ElapsedMilliseconds} ms)");
        return new HostSnapshot
        {
            Live = SaveConfigParser.Parse(obj["live"]?.ToJsonString() ?? "{}"),
            SaveConfigPath = _saveFile,
            Storage = storage,
            SessionsDetail = sessions,
            TargetcliVersion = obj["targetcli_version"]?.GetValue<string>(),
            StorageError = obj["storage_error"]?.GetValue<string>(),
        };
    }

    TargetHostException TargetcliFailure(string output, int code)
    {
        var text = Redaction.RedactText(output.Trim());
        if (text.Contains("g-io-error-quark") || text.Contains("Could not connect"))
            return new(Backend.Endpoint, TargetHostFailure.DbusUnavailable, $"targetcli on backend '{Backend.Name}' ({Backend.Endpoint}) cannot reach the D-Bus system bus (exit {code}): start dbus on the target host. targetcli said: {LastLine(text)}");
        if (text.Contains("command not found"))
            return new(Backend.Endpoint, TargetHostFailure.TargetcliMissing, $"targetcli is not installed on backend '{Backend.Name}' ({Backend.Endpoint}).");
        return new(Backend.Endpoint, TargetHostFailure.TargetcliFailed, $"targetcli on backend '{Backend.Name}' ({Backend.Endpoint}) failed (exit {code}): {LastLine(text)}");
    }

    static string LastLine(string s) => s.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";

    public async Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken cancellationToken = default)
    {
        if (steps.Count == 0) return Array.Empty<StepResult>();
        var sw = Stopwatch.StartNew();
        var lines = await ExchangeAsync(ShellScripts.Steps(_nonce, steps), cancellationToken);
        var results = new StepResult?[steps.Count];
        foreach (var l in lines.Where(l => l.StartsWith("@@PB-STEP ", StringComparison.Ordinal)))
        {
            var parts = l.Split(' ');
            if (parts.Length < 3 || !int.TryParse(parts[1], out var i) || i < 0 || i >= steps.Count) continue;
            var rc = int.TryParse(parts[2], out var c) ? c : -1;
            var msg = parts.Length > 3 && parts[3].Length > 0 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[3])).Trim() : "";
            results[i] = new StepResult(steps[i], rc == 0, rc == 0 ? msg : $"{steps[i].Describe()} failed (exit {rc}): {Redaction.RedactText(msg)}");
        }
        _options.Log?.Invoke($"[{Backend.Name}] ran {steps.Count} host steps ({sw.ElapsedMilliseconds} ms)");
        return results.Select((r, i) => r ?? new StepResult(steps[i], false, $"{steps[i].Describe()}: no result came back")).ToList();
    }

    public async Task<TargetcliRun> RunTargetcliAsync(IReadOnlyList<TargetcliLine> lines, CancellationToken cancellationToken = default)
    {
        if (_saveFile is null) await SnapshotAsync(new SnapshotRequest(IncludeStorage: false), cancellationToken);
        if (_saveFile is null) throw new TargetHostException(Backend.Endpoint, TargetHostFailure.TargetcliFailed, $"rtslib on backend '{Backend.Name}' did not say where it saves its configuration.");
        var all = new List<string> { "set global auto_save_on_exit=false" };
        all.AddRange(lines.Select(l => l.Text));
        all.Add("saveconfig");
        all.Add("exit");
        var sw = Stopwatch.StartNew();
        var output = await ExchangeAsync(ShellScripts.Targetcli(_nonce, all, _saveFile), cancellationToken);
        _targetcliStarts++;
        var rcLine = output.FirstOrDefault(l => l.StartsWith($"@@PB-TC-RC {_nonce} ", StringComparison.Ordinal));
        var rc = rcLine is not null && int.TryParse(rcLine.Split(' ')[2], out var c) ? c : -1;
        var tcout = Section(output, "tcout", _nonce, out _);
        var saved = Section(output, "saved", _nonce, out _);
        if (rc != 0) throw TargetcliFailure(tcout, rc);
        var (banner, chunks) = TargetcliText.SplitByPrompt(tcout, all.Count);
        var results = lines.Select((l, i) => new TargetcliLineResult(l, chunks[i + 1])).ToList();
        var other = banner + "\n" + chunks[0] + "\n" + string.Join("\n", chunks.Skip(lines.Count + 1));
        _options.Log?.Invoke($"[{Backend.Name}] targetcli ran {lines.Count} lines in {sw.ElapsedMilliseconds} ms");
        LioConfig parsed;
        try { parsed = SaveConfigParser.Parse(saved); }
        catch (FormatException e) { throw new TargetHostException(Backend.Endpoint, TargetHostFailure.TargetcliFailed, $"The saved configuration {_saveFile} on backend '{Backend.Name}' could not be read back: {e.Message}"); }
        return new TargetcliRun { Lines = results, ExitCode = rc, Saved = parsed, Elapsed = sw.Elapsed, OtherOutput = Redaction.RedactText(other.Trim()) };
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                try { await _process.StandardInput.WriteAsync("exit 0\n"); _process.StandardInput.Close(); } catch { }
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await _process.WaitForExitAsync(cts.Token); } catch { try { _process.Kill(true); } catch { } }
            }
        }
        finally { _process.Dispose(); _process = null; }
    }
}
