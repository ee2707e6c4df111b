using System.Text.RegularExpressions;
using PureBoot.Simulation;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>The real targetcli 2.1.53 captures and the host states they were taken on.</summary>
internal static class SimFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "targetcli-2.1.53");
    public static string LabDir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "targetcli-2.1.53-lab");

    public static string Read(string name) => File.ReadAllText(Path.Combine(Dir, name));
    public static string ReadLab(string name) => File.ReadAllText(Path.Combine(LabDir, name));

    /// <summary>A script file's lines as targetcli reads them from stdin.</summary>
    public static string[] Lines(string text)
    {
        var lines = text.Split('\n');
        return lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    /// <summary>
    /// The host the fixtures of targetcli-2.1.53/ describe: saveconfig.json live and saved, the three image files
    /// it points to present with their sizes, and targetcli used there before (its prefs file exists).
    /// </summary>
    public static SimulatedHostState FixtureHost()
    {
        var s = SimulatedHostState.CreateDefault();
        s.TargetcliPrefsFileExists = true;
        s.LoadConfiguration(Read("saveconfig.json"));
        s.AddFile("/var/lib/pureboot/luns/web01.img", 32L << 20);
        s.AddFile("/var/lib/pureboot/luns/node1.img", 64L << 20);
        s.AddFile("/var/lib/pureboot/luns/node2.img", 64L << 20);
        return s;
    }

    /// <summary>
    /// The lab VM as tests/Integration/lab/captures/c-run-in-vm.sh's reset leaves it: empty LIO config, no save
    /// file, no backups, no ~/.targetcli/prefs.bin, and a 128 MiB logical volume pureboot/lv1.
    /// </summary>
    public static SimulatedHostState LabHost()
    {
        var s = SimulatedHostState.CreateDefault();
        s.VolumeGroups["pureboot"].LogicalVolumes["lv1"] = new SimulatedLogicalVolume { SizeBytes = 128L << 20 };
        return s;
    }

    /// <summary>Replaces the generated fields (storage object WWNs, LUN and mapped LUN aliases) with placeholders.</summary>
    public static string NormaliseGenerated(string saveconfig)
    {
        saveconfig = Regex.Replace(saveconfig, "\"wwn\": \"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\"", "\"wwn\": \"<uuid>\"");
        return Regex.Replace(saveconfig, "\"alias\": \"[0-9a-f]{10}\"", "\"alias\": \"<alias>\"");
    }
}
