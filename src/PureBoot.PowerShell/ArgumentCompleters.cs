using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using PureBoot.Core.Inventory;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>
/// Completes values from the inventory: -Database if typed, else $env:PUREBOOT_DB, else the default, a relative path
/// taken against PowerShell's current location (as the cmdlets take it, not the process's working directory).
/// Never creates a file, never throws.
/// </summary>
public abstract class InventoryNameCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<(string Name, string Tooltip)> Names(PureBootEngine engine, string pattern);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        try
        {
            var engine = EngineCache.TryGetExisting(InventoryPath(fakeBoundParameters));
            if (engine is null) return results;
            var word = (wordToComplete ?? "").Trim('\'', '"');
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, tip) in Names(engine, word + "*").OrderBy(n => n.Name, StringComparer.Ordinal))
                if (seen.Add(name)) results.Add(new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, string.IsNullOrEmpty(tip) ? name : tip));
        }
        catch
        {
            // Completion must never disturb typing.
        }
        return results;
    }

    /// <summary>The inventory file the command being typed would use.</summary>
    internal static string InventoryPath(IDictionary? fakeBoundParameters)
    {
        string? db = null;
        if (fakeBoundParameters is not null)
            foreach (var key in new[] { "Database", "DatabasePath" })
                if (fakeBoundParameters.Contains(key) && fakeBoundParameters[key] is { } v) db = v.ToString();
        if (string.IsNullOrWhiteSpace(db)) db = Environment.GetEnvironmentVariable(InventoryPaths.EnvironmentVariable);
        return InventoryPaths.Resolve(string.IsNullOrWhiteSpace(db) ? null : FromCurrentLocation(db!));
    }

    /// <summary>
    /// A path as typed (PowerShell drive, ~, relative) against the current location. A completer runs on the pipeline
    /// thread inside TabExpansion2, where a nested pipeline in the same runspace can ask the session state.
    /// </summary>
    static string FromCurrentLocation(string path)
    {
        try
        {
            using var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddScript("param($p) $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p)").AddArgument(path);
            var resolved = ps.Invoke().FirstOrDefault()?.BaseObject as string;
            if (!string.IsNullOrEmpty(resolved)) return resolved;
        }
        catch (Exception) { /* no runspace on this thread: fall back to the process's view */ }
        return Path.GetFullPath(path);
    }

    /// <summary>Names with characters PowerShell would split on are quoted (inventory names never have any, audit names may).</summary>
    static string Quote(string value) => value.Any(c => char.IsWhiteSpace(c) || "'\"$`;,(){}|&@#".Contains(c)) ? $"'{value.Replace("'", "''")}'" : value;
}

public sealed class BackendNameCompleter : InventoryNameCompleter
{
    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern) =>
        engine.ListBackends(pattern).Select(b => (b.Name, $"{b.Name} ({b.Transport} {b.Endpoint}, {b.Storage} {b.Mode})"));
}

public sealed class NodeNameCompleter : InventoryNameCompleter
{
    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern) =>
        engine.ListNodes(pattern).Select(n => (n.Name, $"{n.Name} ({n.MacAddress})"));
}

public sealed class LunNameCompleter : InventoryNameCompleter
{
    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern) =>
        engine.ListLuns(new LunFilter { NameLike = pattern }).Select(l => (l.Name, $"{l.Name} ({l.SizeGB} GB on {l.BackendName}, {l.Status}{(l.NodeName is null ? "" : " for " + l.NodeName)})"));
}

/// <summary>-Image: the registered images, each name once with its latest version.</summary>
public sealed class ImageNameCompleter : InventoryNameCompleter
{
    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern) =>
        engine.ListImages(pattern).GroupBy(i => i.Name, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.MaxBy(i => i.Version)!).Select(i => (i.Name, $"{i.Name} (v{i.Version} on {i.BackendName})"));
}

/// <summary>Get-PureBootAuditLog -ObjectName: the names the audit log records (LUNs, nodes, backends, LIO objects).</summary>
public sealed class AuditObjectNameCompleter : InventoryNameCompleter
{
    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern) =>
        engine.ListAudit(new AuditFilter { ObjectName = pattern, Last = 2000 })
            .GroupBy(a => a.ObjectName, StringComparer.OrdinalIgnoreCase)
            .Select(g => (g.Key, $"{g.Key} ({g.Last().ObjectType}, {g.Count()} entries)"));
}

/// <summary>Get-PureBootAuditLog -Operation: the operations the audit log records, and the ones PureBoot writes.</summary>
public sealed class AuditOperationCompleter : InventoryNameCompleter
{
    /// <summary>What PureBoot's commands record (so a new inventory completes too).</summary>
    static readonly string[] Known =
    {
        "add-backend", "set-backend", "remove-backend", "add-node", "set-node", "remove-node", "create-lun", "assign-lun", "unassign-lun",
        "remove-lun", "resize-lun", "set-lun", "set-lun-chap", "move-node-acl", "restart-export", "sync-target", "import-lun", "import-node",
        "read-chap-credential", "read-boot-script", "write-boot-script",
    };

    protected override IEnumerable<(string, string)> Names(PureBootEngine engine, string pattern)
    {
        var like = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
        var recorded = engine.ListAudit(new AuditFilter { Operation = pattern, Last = 2000 }).Select(a => a.Operation);
        return Known.Where(like.IsMatch).Concat(recorded).Distinct(StringComparer.OrdinalIgnoreCase).Select(o => (o, o));
    }
}
