namespace PureBoot.Tests.Unit.Core;

internal static class FixturePaths
{
    public static string Targetcli(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "targetcli-2.1.53", file);
    public static string Read(string file) => File.ReadAllText(Targetcli(file));
    /// <summary>Real outputs of the rtslib executor's python on the lab VM (tests/Unit/Fixtures/rtslib-lab/README.md).</summary>
    public static string RtslibLab(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "rtslib-lab", file));
}
