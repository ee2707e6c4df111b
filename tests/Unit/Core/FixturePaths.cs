namespace PureBoot.Tests.Unit.Core;

internal static class FixturePaths
{
    public static string Targetcli(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "targetcli-2.1.53", file);
    public static string Read(string file) => File.ReadAllText(Targetcli(file));
}
