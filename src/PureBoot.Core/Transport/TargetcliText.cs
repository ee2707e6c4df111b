namespace PureBoot.Core.Transport;

/// <summary>Knowledge of targetcli 2.1.53's console text (see tests/Unit/Fixtures/targetcli-2.1.53).</summary>
public static class TargetcliText
{
    public const string Prompt = "/> ";

    // Confirmations targetcli prints on success; anything else a line prints is treated as its error message.
    static readonly string[] RoutinePrefixes =
    {
        "Created ", "Deleted ", "Parameter ", "Using default IP port", "Binding to INADDR_ANY", "Configuration saved to",
        "Last 10 configs saved", "Mapped LUN", "Global pref ", "No changes", "Successfully ", "Automatically ",
        "targetcli shell version", "Copyright ", "For help on commands", "(no open sessions)",
    };

    public static bool IsRoutine(string line) => RoutinePrefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal));

    /// <summary>
    /// Splits targetcli's merged console output into the banner and one chunk per input line: targetcli prints
    /// the prompt before reading each line, so chunk i (after the i-th prompt) is what line i printed.
    /// </summary>
    public static (string Banner, IReadOnlyList<string> Chunks) SplitByPrompt(string merged, int lineCount)
    {
        var parts = merged.Split(Prompt);
        var banner = parts[0];
        var chunks = new List<string>(lineCount);
        for (int i = 0; i < lineCount; i++)
            chunks.Add(i + 1 < parts.Length ? parts[i + 1].Trim('\n') : "");
        return (banner, chunks);
    }
}
