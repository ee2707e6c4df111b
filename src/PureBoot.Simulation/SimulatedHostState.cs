using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using PureBoot.Core.Io;
using PureBoot.Core.Secrets;

namespace PureBoot.Simulation;

/// <summary>A file on the simulated storage host.</summary>
public sealed class SimulatedFile
{
    public long SizeBytes { get; set; }
    /// <summary>Bytes really allocated on disk (st_blocks * 512): less than the size for a sparse file.</summary>
    public long AllocatedBytes { get; set; }
    /// <summary>An opaque label of what the file holds (an image name), carried by copies; null for zeros.</summary>
    public string? Content { get; set; }
    /// <summary>Extents shared with reflinked files (ids into <see cref="SimulatedHostState.Extents"/>); AllocatedBytes is the file's own.</summary>
    public List<string>? Shared { get; set; }
    /// <summary>chmod's mode when PureBoot set one (0400 for images and snapshots).</summary>
    public string? Mode { get; set; }
    /// <summary>The file's first 8 bytes in hex (null: zeros), for pb_inspect's format check.</summary>
    public string? Magic { get; set; }
}

public sealed class SimulatedLogicalVolume
{
    public long SizeBytes { get; set; }
    public string? Content { get; set; }
    /// <summary>"thin-pool" for a thin pool, "thin" for a thin volume, null for a linear volume.</summary>
    public string? SegmentType { get; set; }
    /// <summary>A thin volume's pool.</summary>
    public string? ThinPool { get; set; }
    /// <summary>A thin pool's metadata size.</summary>
    public long MetadataBytes { get; set; }
    /// <summary>A thin volume's own mapped bytes; blocks shared with its origin or snapshots are in <see cref="Shared"/>.</summary>
    public long MappedBytes { get; set; }
    public List<string>? Shared { get; set; }
    public bool ReadOnly { get; set; }
}

public sealed class SimulatedVolumeGroup
{
    public long SizeBytes { get; set; }
    /// <summary>LVM's physical extent size (4 MiB by default): LV sizes round up to it.</summary>
    public long ExtentBytes { get; set; } = 4L * 1024 * 1024;
    public SortedDictionary<string, SimulatedLogicalVolume> LogicalVolumes { get; set; } = new(StringComparer.Ordinal);

    [JsonIgnore] public long TotalExtents => SizeBytes / ExtentBytes;
    // Thin volumes live in their pool, not in the volume group's extents; a pool takes its data and metadata.
    [JsonIgnore] public long UsedExtents => LogicalVolumes.Values.Where(l => l.SegmentType != "thin").Sum(l => (l.SizeBytes + l.MetadataBytes + ExtentBytes - 1) / ExtentBytes);
    [JsonIgnore] public long FreeExtents => TotalExtents - UsedExtents;
}

/// <summary>An iSCSI session logged in to the simulated target (what <c>targetcli sessions</c> lists).</summary>
public sealed class SimulatedSession
{
    public string InitiatorIqn { get; set; } = "";
    public string TargetIqn { get; set; } = "";
    public int Tpg { get; set; } = 1;
    public int Sid { get; set; }
    /// <summary>The initiator's InitiatorAlias (libiscsi sends none).</summary>
    public string Alias { get; set; } = "";
    public string Address { get; set; } = "10.0.2.2";
}

/// <summary>
/// Makes a matching targetcli line or host step fail. Pattern is a regular expression over the targetcli line as
/// fed on stdin or over <see cref="Transport.HostStep.Describe"/>; the pseudo-operations <c>@connect</c>,
/// <c>@snapshot</c> and <c>@targetcli</c> (a whole targetcli start) can be failed too. A matching line does
/// nothing and prints Message to stderr; a step fails with Message; Times (null: always) counts down.
/// </summary>
public sealed class SimulatedFault
{
    public string Pattern { get; set; } = "";
    public string Message { get; set; } = "";
    public int? Times { get; set; }
    /// <summary>How often the fault fired.</summary>
    public int Hits { get; set; }
}

/// <summary>
/// Everything a simulated storage host holds, serializable to one JSON file: LIO's live configuration (configfs),
/// the saved configuration file, targetcli's persisted preferences, files and directories, LVM volume groups,
/// iSCSI sessions and injected faults.
/// </summary>
public sealed partial class SimulatedHostState
{
    public const string DefaultStorageDirectory = "/var/lib/pureboot/luns";
    public const string DefaultVolumeGroup = "pureboot";

    public string Hostname { get; set; } = "pureboot-sim";

    /// <summary>The live LIO configuration in saveconfig.json's shape (what rtslib's RTSRoot().dump() gives).</summary>
    public JsonObject Live { get; set; } = LioDefaults.EmptyConfig();

    /// <summary>The text of the saved configuration file (null: there is none).</summary>
    public string? Saved { get; set; }

    public string SaveConfigPath { get; set; } = LioDefaults.DefaultSaveFile;

    /// <summary>The newest backup rtslib kept in the backup/ directory beside the save file, and how many there are.</summary>
    public string? LastBackup { get; set; }
    public int BackupCount { get; set; }

    /// <summary>Other files saveconfig wrote (saveconfig savefile=...), by path.</summary>
    public SortedDictionary<string, string> OtherSavedFiles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>targetcli's global preferences as persisted in ~/.targetcli/prefs.bin (only those set).</summary>
    public SortedDictionary<string, JsonNode?> TargetcliPrefs { get; set; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, SimulatedFile> Files { get; set; } = new(StringComparer.Ordinal);
    public List<string> Directories { get; set; } = new();
    public SortedDictionary<string, SimulatedVolumeGroup> VolumeGroups { get; set; } = new(StringComparer.Ordinal);
    public List<SimulatedSession> Sessions { get; set; } = new();
    public List<SimulatedFault> Faults { get; set; } = new();

    /// <summary>
    /// Whether ~/.targetcli/prefs.bin exists. targetcli warns on stdout when it does not (a host where root never ran
    /// targetcli) and creates it on that first start.
    /// </summary>
    public bool TargetcliPrefsFileExists { get; set; } = true;

    /// <summary>
    /// Whether the D-Bus system bus runs. targetcli 2.1.53 probes tcmu-runner over D-Bus at every start: without
    /// the bus it prints "g-io-error-quark: Could not connect: ..." and exits 255 (fixture README).
    /// </summary>
    public bool DbusRunning { get; set; } = true;

    public int NextSessionId { get; set; } = 1;
    public int Reboots { get; set; }
    /// <summary>targetcli processes started on this host over its life.</summary>
    public int TargetcliStarts { get; set; }

    /// <summary>A new host: empty LIO config, /var/lib/pureboot/luns, a 64 GiB volume group "pureboot".</summary>
    public static SimulatedHostState CreateDefault()
    {
        var s = new SimulatedHostState();
        foreach (var d in new[] { "/etc", "/etc/rtslib-fb-target", "/dev", "/root", "/tmp", "/var/lib", DefaultStorageDirectory })
            s.AddDirectory(d);
        s.VolumeGroups[DefaultVolumeGroup] = new SimulatedVolumeGroup { SizeBytes = 64L * 1024 * 1024 * 1024 };
        s.TargetcliPrefsFileExists = false;
        return s;
    }

    /// <summary>Sets both the live and the saved configuration from saveconfig.json text (e.g. a fixture).</summary>
    public void LoadConfiguration(string saveconfigJson, bool alsoSaved = true)
    {
        Live = JsonNode.Parse(saveconfigJson)!.AsObject();
        if (alsoSaved) Saved = saveconfigJson;
    }

    /// <summary>The live configuration as saveconfig would write it.</summary>
    public string LiveText() => PythonJson.Dumps(Live) + "\n";

    /// <summary>
    /// A reboot (or hard reset): configfs is rebuilt from the saved file as rtslib's restore does, sessions are gone.
    /// Objects are restored in file order, and configfs lists the newest first, so every list comes back reversed;
    /// a fileio backstore whose file is gone is recreated empty by the kernel (O_CREAT) if its directory exists,
    /// and a block backstore whose device is gone is not restored (nor the LUNs on it).
    /// </summary>
    public void Reboot()
    {
        Sessions.Clear();
        Reboots++;
        Live = Saved is null ? LioDefaults.EmptyConfig() : RestoredFrom(Saved);
    }

    /// <summary>The live configuration rtslib's restore would build from saveconfig text on this host.</summary>
    public JsonObject RestoredFrom(string savedText)
    {
        JsonObject saved;
        try { saved = JsonNode.Parse(savedText)!.AsObject(); }
        catch (Exception) { return LioDefaults.EmptyConfig(); }

        var live = LioDefaults.EmptyConfig();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (var so in Arr(saved, "storage_objects").OfType<JsonObject>())
        {
            var plugin = (string?)so["plugin"] ?? "";
            var dev = (string?)so["dev"] ?? "";
            if (plugin == "fileio")
            {
                var path = NormalizePath(dev);
                if (!FileExists(path) && !TryGetLogicalVolume(path, out _, out _))
                {
                    if (!DirectoryExists(ParentOf(path))) continue;
                    Files[path] = new SimulatedFile();
                }
            }
            else if (plugin == "block" && !TryGetLogicalVolume(NormalizePath(dev), out _, out _)) continue;
            kept.Add($"/backstores/{plugin}/{(string?)so["name"]}");
            Arr(live, "storage_objects").Insert(0, so.DeepClone());
        }
        foreach (var t in Arr(saved, "targets").OfType<JsonObject>())
        {
            var nt = t.DeepClone().AsObject();
            var tpgs = new JsonArray();
            foreach (var tpg in Arr(t, "tpgs").OfType<JsonObject>())
            {
                var ntpg = tpg.DeepClone().AsObject();
                var luns = new JsonArray();
                var lunIdx = new HashSet<long>();
                foreach (var l in Arr(tpg, "luns").OfType<JsonObject>())
                    if (kept.Contains((string?)l["storage_object"] ?? "")) { luns.Insert(0, l.DeepClone()); lunIdx.Add((long?)l["index"] ?? -1); }
                ntpg["luns"] = luns;
                var portals = new JsonArray();
                foreach (var p in Arr(tpg, "portals")) portals.Insert(0, p!.DeepClone());
                ntpg["portals"] = portals;
                var acls = new JsonArray();
                foreach (var a in Arr(tpg, "node_acls").OfType<JsonObject>())
                {
                    var na = a.DeepClone().AsObject();
                    var mls = new JsonArray();
                    foreach (var m in Arr(a, "mapped_luns").OfType<JsonObject>())
                        if (lunIdx.Contains((long?)m["tpg_lun"] ?? -1)) mls.Insert(0, m.DeepClone());
                    na["mapped_luns"] = mls;
                    acls.Insert(0, na);
                }
                ntpg["node_acls"] = acls;
                tpgs.Insert(0, ntpg);
            }
            nt["tpgs"] = tpgs;
            Arr(live, "targets").Insert(0, nt);
        }
        if (saved["fabric_modules"] is JsonArray fm) live["fabric_modules"] = fm.DeepClone();
        return live;
    }

    /// <summary>Same as <see cref="Reboot"/>: a hard reset loses configfs and the sessions alike.</summary>
    public void HardReset() => Reboot();

    // ---- faults ----

    /// <summary>The first armed fault whose pattern matches the text; it is counted down.</summary>
    public SimulatedFault? TakeFault(string text)
    {
        foreach (var f in Faults)
        {
            if (f.Times is <= 0) continue;
            if (!Regex.IsMatch(text, f.Pattern)) continue;
            if (f.Times is not null) f.Times--;
            f.Hits++;
            return f;
        }
        return null;
    }

    // ---- filesystem ----

    /// <summary>Absolute, with "." and ".." resolved and repeated or trailing slashes dropped.</summary>
    public static string NormalizePath(string path)
    {
        if (string.IsNullOrEmpty(path)) return "";
        if (path.StartsWith("~/", StringComparison.Ordinal)) path = "/root" + path[1..];
        if (!path.StartsWith('/')) path = "/root/" + path;
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p.Length == 0 || p == ".") continue;
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }

    public static string ParentOf(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    public bool DirectoryExists(string path)
    {
        path = NormalizePath(path);
        return path == "/" || Directories.Contains(path);
    }

    public bool FileExists(string path) => Files.ContainsKey(NormalizePath(path));

    /// <summary>mkdir -p.</summary>
    public void AddDirectory(string path)
    {
        path = NormalizePath(path);
        while (path != "/" && !Directories.Contains(path))
        {
            Directories.Add(path);
            path = ParentOf(path);
        }
        Directories.Sort(StringComparer.Ordinal);
    }

    public void AddFile(string path, long sizeBytes, long? allocatedBytes = null, string? content = null)
    {
        path = NormalizePath(path);
        AddDirectory(ParentOf(path));
        Files[path] = new SimulatedFile { SizeBytes = sizeBytes, AllocatedBytes = allocatedBytes ?? sizeBytes, Content = content };
    }

    /// <summary>A logical volume by device path: /dev/VG/LV or /dev/mapper/VG-LV.</summary>
    public bool TryGetLogicalVolume(string devicePath, out string volumeGroup, out string logicalVolume)
    {
        volumeGroup = logicalVolume = "";
        var p = NormalizePath(devicePath);
        if (p.StartsWith("/dev/mapper/", StringComparison.Ordinal))
        {
            var dm = p["/dev/mapper/".Length..];
            foreach (var (vgName, vg) in VolumeGroups)
                foreach (var lvName in vg.LogicalVolumes.Keys)
                    if (dm == vgName.Replace("-", "--") + "-" + lvName.Replace("-", "--"))
                    { volumeGroup = vgName; logicalVolume = lvName; return true; }
            return false;
        }
        var parts = p.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 || parts[0] != "dev") return false;
        if (VolumeGroups.TryGetValue(parts[1], out var g) && g.LogicalVolumes.ContainsKey(parts[2]))
        { volumeGroup = parts[1]; logicalVolume = parts[2]; return true; }
        return false;
    }

    public long? BlockDeviceSize(string devicePath) =>
        TryGetLogicalVolume(devicePath, out var vg, out var lv) ? VolumeGroups[vg].LogicalVolumes[lv].SizeBytes : null;

    // ---- persistence ----

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Each CHAP password read from the file and the sealed text it came from (see <see cref="StateSealing"/>).</summary>
    Dictionary<string, string> _sealed = new(StringComparer.Ordinal);

    /// <summary>The state as written to its file: with <paramref name="box"/>, every CHAP password sealed (<see cref="StateSealing"/>).</summary>
    public string ToJson(SecretBox? box)
    {
        if (box is null) return ToJson();
        var node = JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        StateSealing.Apply(node, box, open: false, _sealed);
        return node.ToJsonString(JsonOptions);
    }

    public static SimulatedHostState FromJson(string json) => FromJson(json, null);

    /// <summary>Reads a state; with <paramref name="box"/>, sealed CHAP passwords are opened (without it they stay sealed strings).</summary>
    public static SimulatedHostState FromJson(string json, SecretBox? box)
    {
        SimulatedHostState? s;
        if (box is null) s = JsonSerializer.Deserialize<SimulatedHostState>(json, JsonOptions);
        else
        {
            var node = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("The simulated host state is empty.");
            var opened = new Dictionary<string, string>(StringComparer.Ordinal);
            StateSealing.Apply(node, box, open: true, opened);
            s = node.Deserialize<SimulatedHostState>(JsonOptions);
            if (s is not null) s._sealed = opened;
        }
        if (s is null) throw new FormatException("The simulated host state is empty.");
        // the serializer rebuilds sorted dictionaries with the default (culture) comparer: keep paths ordinal
        s.Files = new SortedDictionary<string, SimulatedFile>(s.Files ?? new(), StringComparer.Ordinal);
        s.VolumeGroups = new SortedDictionary<string, SimulatedVolumeGroup>(s.VolumeGroups ?? new(), StringComparer.Ordinal);
        foreach (var vg in s.VolumeGroups.Values)
            vg.LogicalVolumes = new SortedDictionary<string, SimulatedLogicalVolume>(vg.LogicalVolumes ?? new(), StringComparer.Ordinal);
        s.TargetcliPrefs = new SortedDictionary<string, JsonNode?>(s.TargetcliPrefs ?? new(), StringComparer.Ordinal);
        s.OtherSavedFiles = new SortedDictionary<string, string>(s.OtherSavedFiles ?? new(), StringComparer.Ordinal);
        s.Live ??= LioDefaults.EmptyConfig();
        s.Directories ??= new();
        s.Sessions ??= new();
        s.Faults ??= new();
        s.Filesystems ??= new();
        s.Extents = new SortedDictionary<string, long>(s.Extents ?? new(), StringComparer.Ordinal);
        return s;
    }

    /// <summary>Reads a state file; a missing file is a new default host. With <paramref name="box"/>, sealed CHAP passwords are opened.</summary>
    public static SimulatedHostState Load(string path, SecretBox? box = null) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), box) : CreateDefault();

    /// <summary>
    /// Writes the state atomically (a temporary 0600 file beside it, flushed, then renamed over it): only its owner can
    /// read it. With <paramref name="box"/>, every CHAP password in it is sealed.
    /// </summary>
    public void Save(string path, SecretBox? box = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        PrivateFiles.WriteAtomically(full, ToJson(box), overwrite: true);
    }

    internal static JsonArray Arr(JsonObject o, string key)
    {
        if (o[key] is JsonArray a) return a;
        a = new JsonArray();
        o[key] = a;
        return a;
    }
}
