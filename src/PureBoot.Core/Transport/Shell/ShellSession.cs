using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>
/// One bash process on the storage host (local, sudo or over SSH), spoken to in request/response exchanges: each
/// block ends with a marker carrying this session's random nonce, and the reply is read up to that marker.
/// </summary>
internal sealed class ShellSession : ITargetHostSession
{
    readonly ProcessStartInfo _psi;
    readonly ShellOptions _options;
    readonly StringBuilder _stderr = new();
    readonly Queue<string> _lines = new();
    readonly SemaphoreSlim _lineSignal = new(0);
    readonly HashSet<string> _pythonSent = new(StringComparer.Ordinal);
    Process? _process;
    Task? _stderrPump;
    string? _saveFile;
    int _targetcliStarts, _exchanges;
    long _bytesSent;
    bool _eof;

    public Backend Backend { get; }
    public string Nonce { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
    public int TargetcliStarts => _targetcliStarts;
    public int Exchanges => _exchanges;
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    public ShellSession(Backend backend, ProcessStartInfo psi, ShellOptions options)
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
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Unreachable, $"Could not start {_psi.FileName} for backend '{Backend.Name}' ({Backend.Endpoint}): {e.Message}", e);
        }
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
        await SendAsync(ShellScripts.Prelude(Nonce, _options.LockWaitSeconds), ct);
        var started = Stopwatch.StartNew();
        await ReadUntilAsync($"@@PB-READY {Nonce}", TimeSpan.FromSeconds(_options.LockWaitSeconds + _options.ConnectTimeoutSeconds * 2 + 30), ct);
        Log($"session open on {Backend.Endpoint}, lock held ({started.ElapsedMilliseconds} ms)");
    }

    internal void Log(string text) => _options.Log?.Invoke($"[{Backend.Name}] {text}");

    async Task SendAsync(string text, CancellationToken ct)
    {
        Interlocked.Add(ref _bytesSent, Encoding.UTF8.GetByteCount(text));
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
        try { using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)); await _process!.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { }
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
                    throw HostFailures.Fatal(Backend, line["@@PB-FATAL ".Length..]);
                }
                result.Add(line);
                if (line == marker || line.StartsWith(marker + " ", StringComparison.Ordinal)) return result;
                continue;
            }
            if (_eof)
            {
                await WaitBrieflyForExit();
                string err; lock (_stderr) err = _stderr.ToString();
                throw HostFailures.Classify(Backend, err, _process!.HasExited ? _process.ExitCode : -1);
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                try { _process!.Kill(true); } catch (InvalidOperationException) { }
                throw new TargetHostException(Backend.Endpoint, TargetHostFailure.Timeout, $"Backend '{Backend.Name}' ({Backend.Endpoint}) did not answer within {timeout.TotalSeconds:0} s; the session was stopped.");
            }
            await _lineSignal.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
        }
    }

    TargetHostException Fail(string what)
    {
        string err; lock (_stderr) err = _stderr.ToString();
        var ex = HostFailures.Classify(Backend, err, _process is { HasExited: true } ? _process.ExitCode : -1);
        return new TargetHostException(ex.Host, ex.Failure, ex.Message + $" ({what})");
    }

    /// <summary>Sends one block and reads its reply up to the block's end marker.</summary>
    internal async Task<List<string>> ExchangeAsync(string block, CancellationToken ct)
    {
        _exchanges++;
        await SendAsync(block + ShellScripts.Done(Nonce), ct);
        return await ReadUntilAsync($"@@PB-DONE {Nonce}", _options.ExchangeTimeout, ct);
    }

    /// <summary>
    /// Makes sure one of PureBoot's python programs is in the session's temp dir (sent with the next block), with
    /// rtslib_common.py, which both programs import (rtslib with fast configfs I/O, the dump, the atomic save), and
    /// pb_agent.py, the session's one python that runs them.
    /// </summary>
    internal string WithPython(string name, string block) =>
        string.Concat(new[] { ShellScripts.PythonCommon, ShellScripts.PythonAgent, name }.Where(_pythonSent.Add).Select(ShellScripts.PythonFile)) + block;

    internal void CountTargetcliStart() => _targetcliStarts++;

    /// <summary>The text between "@@PB-BEGIN name nonce" and "@@PB-END name nonce [code]".</summary>
    internal string Section(List<string> lines, string name, out int? trailingCode)
    {
        trailingCode = null;
        var begin = lines.IndexOf($"@@PB-BEGIN {name} {Nonce}");
        if (begin < 0) return "";
        var endPrefix = $"@@PB-END {name} {Nonce}";
        var end = lines.FindIndex(begin + 1, l => l == endPrefix || l.StartsWith(endPrefix + " ", StringComparison.Ordinal));
        if (end < 0) return "";
        if (int.TryParse(lines[end][endPrefix.Length..].Trim(), out var code)) trailingCode = code;
        return string.Join("\n", lines.Skip(begin + 1).Take(end - begin - 1));
    }

    /// <summary>The exit code a block reported with "@@PB-RC nonce N", or -1.</summary>
    internal int ReturnCode(List<string> lines)
    {
        var rcLine = lines.FirstOrDefault(l => l.StartsWith($"@@PB-RC {Nonce} ", StringComparison.Ordinal));
        return rcLine is not null && int.TryParse(rcLine.Split(' ')[2], out var c) ? c : -1;
    }

    public async Task<HostSnapshot> SnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        var probes = request.CheckedProbes();
        var lines = await ExchangeAsync(WithPython("lio_snapshot.py", ShellScripts.Snapshot(Nonce, Backend, request)), cancellationToken);
        var json = Section(lines, "snapshot", out var pyCode);
        var pyErr = Section(lines, "pyerr", out _).Trim();
        if (pyCode != 0 || string.IsNullOrWhiteSpace(json))
            throw HostFailures.Rtslib(Backend, pyErr.Length > 0 ? pyErr : "no output", pyCode ?? -1, "read the LIO configuration");
        var obj = JsonNode.Parse(json)!.AsObject();
        _saveFile = obj["save_file"]?.GetValue<string>();
        Log($"read live state ({sw.ElapsedMilliseconds} ms{(obj["live_read"]?.GetValue<string>() == "focused" ? $", saved config with {request.Focus!.StorageObjects.Count + request.Focus.Luns.Count + request.Focus.Acls.Count} objects read again" : "")})");
        return SnapshotJson.Parse(obj, StepResults(lines, probes));
    }

    public async Task<IReadOnlyList<StepResult>> RunStepsAsync(IReadOnlyList<HostStep> steps, CancellationToken cancellationToken = default)
    {
        if (steps.Count == 0) return Array.Empty<StepResult>();
        var sw = Stopwatch.StartNew();
        var lines = await ExchangeAsync(ShellScripts.Steps(steps), cancellationToken);
        var results = StepResults(lines, steps);
        Log($"ran {steps.Count} host steps ({sw.ElapsedMilliseconds} ms)");
        return results;
    }

    /// <summary>Each step's "@@PB-STEP index rc base64(output)" line; a step without one failed.</summary>
    static IReadOnlyList<StepResult> StepResults(List<string> lines, IReadOnlyList<HostStep> steps)
    {
        var results = new StepResult?[steps.Count];
        foreach (var l in lines.Where(l => l.StartsWith("@@PB-STEP ", StringComparison.Ordinal)))
        {
            var parts = l.Split(' ');
            if (parts.Length < 3 || !int.TryParse(parts[1], out var i) || i < 0 || i >= steps.Count) continue;
            var rc = int.TryParse(parts[2], out var c) ? c : -1;
            var msg = parts.Length > 3 && parts[3].Length > 0 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[3])).Trim() : "";
            results[i] = StepResult.Of(steps[i], rc, msg);
        }
        return results.Select((r, i) => r ?? new StepResult(steps[i], false, $"{steps[i].Describe()}: no result came back")).ToList();
    }

    public async Task<LioApplyResult> ApplyAsync(IReadOnlyList<LioChange> changes, CancellationToken cancellationToken = default)
    {
        if (_saveFile is null) await SnapshotAsync(new SnapshotRequest(IncludeStorage: false), cancellationToken);
        if (_saveFile is null) throw new TargetHostException(Backend.Endpoint, TargetHostFailure.RtslibFailed, $"rtslib on backend '{Backend.Name}' did not say where it saves its configuration.");
        return Backend.Executor == LioExecutorKind.Targetcli
            ? await TargetcliExecutor.ApplyAsync(this, changes, _saveFile, cancellationToken)
            : await RtslibExecutor.ApplyAsync(this, changes, _saveFile, cancellationToken);
    }

    public async Task<string?> ProbeTargetcliAsync(CancellationToken cancellationToken = default)
    {
        var lines = await ExchangeAsync(ShellScripts.ProbeTargetcli(Nonce), cancellationToken);
        _targetcliStarts++;
        var output = Section(lines, "probe", out var code);
        if (code != 0) throw HostFailures.Targetcli(Backend, output, code ?? -1);
        return output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("targetcli shell version", StringComparison.Ordinal))?["targetcli shell version".Length..].Trim();
    }

    /// <summary>Parses a saved config read back; a file that does not parse is a host failure.</summary>
    internal LioConfig ParseSaved(string saved)
    {
        try { return SaveConfigParser.Parse(saved); }
        catch (FormatException e) { throw new TargetHostException(Backend.Endpoint, TargetHostFailure.ProtocolError, $"The saved configuration {_saveFile} on backend '{Backend.Name}' could not be read back: {e.Message}"); }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                try { await _process.StandardInput.WriteAsync("exit 0\n"); _process.StandardInput.Close(); } catch (IOException) { }
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await _process.WaitForExitAsync(cts.Token); }
                catch (OperationCanceledException) { try { _process.Kill(true); } catch (InvalidOperationException) { } }
            }
        }
        finally { _process.Dispose(); _process = null; }
    }
}
