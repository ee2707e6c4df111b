using System.Diagnostics;
using System.Management.Automation;
using System.Runtime.ExceptionServices;
using PureBoot.Core.Inventory;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// What every PureBoot cmdlet shares: the -Database parameter, the cached engine, running the async engine on the
/// pipeline thread (writing its log and progress from there), Ctrl+C, and turning Core exceptions into ErrorRecords.
/// </summary>
public abstract class PureBootCmdlet : PSCmdlet
{
    internal const int OuterProgressId = 0x5042;      // 'PB'
    internal const int EngineProgressId = 0x5043;

    readonly CancellationTokenSource _stopping = new();
    PureBootEngine? _engine;
    bool _engineProgressShown;

    /// <summary>
    /// The inventory file. Default: $env:PUREBOOT_DB, else $XDG_DATA_HOME/PureBoot/pureboot.db
    /// (~/.local/share/PureBoot/pureboot.db). Relative paths are relative to the current location.
    /// </summary>
    [Parameter]
    [Alias("DatabasePath")]
    public string? Database { get; set; }

    /// <summary>
    /// Core's names for values this cmdlet's parameters carry, where they differ (Core name → cmdlet parameter), so an
    /// error about a value names the parameter the user typed. Core names values after its request fields.
    /// </summary>
    protected virtual IReadOnlyDictionary<string, string>? ParameterNames => null;

    /// <summary>The engine for this call's inventory; a failure to open it ends the command.</summary>
    protected PureBootEngine Engine
    {
        get
        {
            if (_engine is not null) return _engine;
            try
            {
                _engine = EngineCache.Get(ResolveDatabasePath());
            }
            catch (Exception e) when (IsReportable(e))
            {
                ThrowTerminatingError(PureBootErrors.FromException(e, Database));
            }
            return _engine!;
        }
    }

    /// <summary>The full path of the inventory file this call uses.</summary>
    protected string ResolveDatabasePath()
    {
        var given = Database;
        if (string.IsNullOrWhiteSpace(given)) given = Environment.GetEnvironmentVariable(InventoryPaths.EnvironmentVariable);
        return InventoryPaths.Resolve(string.IsNullOrWhiteSpace(given) ? null : ToFileSystemPath(given!));
    }

    /// <summary>A path as the user typed it (PowerShell drive, ~, relative to the current location) as a full file-system path.</summary>
    protected string ToFileSystemPath(string path)
    {
        try
        {
            var resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out var provider, out _);
            if (provider.Name == "FileSystem") return resolved;
        }
        catch (Exception e) when (e is not PipelineStoppedException) { /* fall back below */ }
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        if (!Path.IsPathRooted(path)) path = Path.Combine(SessionState.Path.CurrentFileSystemLocation.ProviderPath, path);
        return Path.GetFullPath(path);
    }

    protected override void StopProcessing()
    {
        try { _stopping.Cancel(); } catch (ObjectDisposedException) { }
        base.StopProcessing();
    }

    /// <summary>
    /// Runs an engine call on the thread pool and waits for it here, writing the engine's log lines (-Verbose) and
    /// progress as they arrive: engine callbacks may fire on other threads, and Write* only works on this one.
    /// Ctrl+C cancels the call and stops the pipeline.
    /// </summary>
    protected T RunEngine<T>(Func<PureBootEngine, CancellationToken, Task<T>> work, string activity)
    {
        var engine = Engine;
        var sink = new EngineSink();
        var token = _stopping.Token;
        var sw = Stopwatch.StartNew();
        var task = Task.Run(async () =>
        {
            EngineSink.Current = sink;   // flows into every continuation of this call
            return await work(engine, token).ConfigureAwait(false);
        });
        try
        {
            var wake = new[] { ((IAsyncResult)task).AsyncWaitHandle, sink.Signal };
            while (!task.IsCompleted)
            {
                WaitHandle.WaitAny(wake, 250);   // the call finished, or it reported something
                Drain(sink, activity);
            }
            Drain(sink, activity);
        }
        catch when (!task.IsCompleted)
        {
            // Writing failed (the pipeline is stopping): let the cancelled call finish its session first, so the
            // target's lock and the inventory rows are settled before the prompt comes back.
            try { _stopping.Cancel(); task.Wait(TimeSpan.FromSeconds(60)); } catch (Exception) { /* reported by the caller's exception */ }
            throw;
        }
        finally
        {
            if (_engineProgressShown)
            {
                _engineProgressShown = false;
                TryWriteProgress(new ProgressRecord(EngineProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed, ParentActivityId = ParentProgressId });
            }
        }
        if (token.IsCancellationRequested && (task.IsCanceled || task.Exception?.InnerException is OperationCanceledException))
            throw new PipelineStoppedException();
        WriteVerbose($"{activity}: {sw.Elapsed.TotalSeconds:0.00} s");
        return task.GetAwaiter().GetResult();
    }

    /// <summary>The outer progress record's id while a batch cmdlet shows one, else -1.</summary>
    protected virtual int ParentProgressId => -1;

    void Drain(EngineSink sink, string activity)
    {
        while (sink.TryDequeue(out var item))
        {
            if (item.Text is not null) WriteVerbose(item.Text);
            else if (item.Progress is { } p)
            {
                _engineProgressShown = true;
                var record = new ProgressRecord(EngineProgressId, string.IsNullOrEmpty(p.Activity) ? activity : p.Activity, string.IsNullOrEmpty(p.Status) ? "..." : p.Status)
                {
                    PercentComplete = Math.Clamp(p.PercentComplete, -1, 100),
                    ParentActivityId = ParentProgressId,
                };
                TryWriteProgress(record);
            }
        }
    }

    protected void TryWriteProgress(ProgressRecord record)
    {
        try { WriteProgress(record); }
        catch (PipelineStoppedException) { throw; }
        catch (Exception e) when (e is InvalidOperationException or NotImplementedException) { /* hosts without progress support */ }
    }

    /// <summary>Writes a non-terminating error for a caught exception (the other items go on).</summary>
    protected void WriteFailure(Exception e, object? target)
    {
        if (!IsReportable(e)) ExceptionDispatchInfo.Capture(e).Throw();
        if (e is OperationCanceledException && _stopping.IsCancellationRequested) throw new PipelineStoppedException();
        WriteError(PureBootErrors.FromException(e, target, ParameterNames));
    }

    /// <summary>Ends the command with a terminating error for a caught exception.</summary>
    protected void ThrowFailure(Exception e, object? target)
    {
        if (!IsReportable(e)) ExceptionDispatchInfo.Capture(e).Throw();
        if (e is OperationCanceledException && _stopping.IsCancellationRequested) throw new PipelineStoppedException();
        ThrowTerminatingError(PureBootErrors.FromException(e, target, ParameterNames));
    }

    /// <summary>
    /// A terminating InvalidArgument error for a bad combination of parameters (the only check a cmdlet makes itself:
    /// values are Core's to judge). <paramref name="reason"/> does not repeat the parameter's name.
    /// </summary>
    protected void ThrowInvalidArgument(string parameter, string reason)
    {
        // A reason already worded "Parameter 'X': ..." (older callers) is taken as it is.
        var record = reason.StartsWith("Parameter", StringComparison.Ordinal)
            ? PureBootErrors.Make(PureBootErrorIds.InvalidArgument, ErrorCategory.InvalidArgument, reason, parameter, kind: FailureKind.InvalidArgument)
            : PureBootErrors.Invalid(parameter, reason, null, null);
        record.CategoryInfo.TargetName = parameter;
        record.CategoryInfo.TargetType = "Parameter";
        ThrowTerminatingError(record);
    }

    /// <summary>Writes the error of a failed batch item (its Core outcome), worded with this cmdlet's parameter names.</summary>
    protected void WriteOutcomeError(LunOutcome outcome, string rejectedId) =>
        WriteError(PureBootErrors.FromOutcome(outcome, rejectedId, ParameterNames));

    protected bool IsBound(string parameterName) => MyInvocation.BoundParameters.ContainsKey(parameterName);

    /// <summary>True when the command runs with -WhatIf (given, or from $WhatIfPreference).</summary>
    protected bool IsWhatIf => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var given)
        ? given is SwitchParameter s && s.IsPresent
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));

    /// <summary>
    /// True for the exceptions a cmdlet reports as errors. PowerShell's own (RuntimeException: a stopped pipeline,
    /// -ErrorAction Stop, a downstream command's terminating error) and flow control pass through untouched.
    /// </summary>
    protected static bool IsReportable(Exception e) => e is not (RuntimeException or FlowControlException);
}
