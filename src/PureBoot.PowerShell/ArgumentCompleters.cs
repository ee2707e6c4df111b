using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PureBoot.Core.Inventory;
using PureBoot.Core.Operations;

namespace PureBoot.PowerShell;

/// <summary>Completes names from the inventory (-Database if typed, else the default). Never creates a file, never throws.</summary>
public abstract class InventoryNameCompleter : IArgumentCompleter
{
    protected abstract IEnumerable<(string Name, string Tooltip)> Names(PureBootEngine engine, string pattern);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        try
        {
            string? db = null;
            if (fakeBoundParameters is not null)
                foreach (var key in new[] { "Database", "DatabasePath" })
                    if (fakeBoundParameters.Contains(key) && fakeBoundParameters[key] is { } v) db = v.ToString();
            var path = InventoryPaths.Resolve(string.IsNullOrWhiteSpace(db) ? null : Path.GetFullPath(db!));
            var engine = EngineCache.TryGetExisting(path);
            if (engine is null) return results;
            var word = (wordToComplete ?? "").Trim('\'', '"');
            foreach (var (name, tip) in Names(engine, word + "*").OrderBy(n => n.Name, StringComparer.Ordinal))
                results.Add(new CompletionResult(name, name, CompletionResultType.ParameterValue, string.IsNullOrEmpty(tip) ? name : tip));
        }
        catch
        {
            // Completion must never disturb typing.
        }
        return results;
    }
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
