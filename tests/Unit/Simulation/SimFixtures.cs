using PureBoot.Core.Simulation;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>The real targetcli 2.1.53 captures and the host state they were taken on.</summary>
internal static class SimFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "targetcli-2.1.53");

    public static string Read(string name) => File.ReadAllText(Path.Combine(Dir, name));

    public static string[] ScriptLines(string name) =>
        Read(name).Split('\n').Select(l => l.TrimEnd('\r')).Where((l, i) => true).ToArray() is var lines && lines.Length > 0 && lines[^1].Length == 0
            ? lines[..^1] : Read(name).Split('\n');

    /// <summary>
    /// The host the fixtures describe: saveconfig.json live and saved, and the three image files it points to
    /// (/var/lib/pureboot/luns/{web01,node1,node2}.img) present with their sizes.
    /// </summary>
    public static SimulatedHostState FixtureHost()
    {
        var s = SimulatedHostState.CreateDefault();
        s.LoadConfiguration(Read("saveconfig.json"));
        s.AddFile("/var/lib/pureboot/luns/web01.img", 32L << 20);
        s.AddFile("/var/lib/pureboot/luns/node1.img", 64L << 20);
        s.AddFile("/var/lib/pureboot/luns/node2.img", 64L << 20);
        return s;
    }
}
