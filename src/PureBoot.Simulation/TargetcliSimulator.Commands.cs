using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PureBoot.Simulation;

public sealed partial class TargetcliSimulator
{
    // ================= saveconfig / sessions / clearconfig / restoreconfig =================

    object? SaveConfig(string? savefile)
    {
        var dflt = _s.SaveConfigPath;
        if (string.IsNullOrEmpty(savefile)) savefile = dflt;
        if (savefile.StartsWith("~/", StringComparison.Ordinal)) savefile = "/root" + savefile[1..];
        _s.AddDirectory(SimulatedHostState.ParentOf(SimulatedHostState.NormalizePath(savefile)));
        var text = PythonJson.Dumps(_s.Live) + "\n";
        if (savefile == dflt)
        {
            SaveBackups(savefile);
            _s.Saved = text;
            _savedThisRun = text;
        }
        else
        {
            if (!_s.DirectoryExists(SimulatedHostState.ParentOf(SimulatedHostState.NormalizePath(savefile))))
                throw new TcError($"Could not open {savefile}.temp");
            _s.OtherSavedFiles[SimulatedHostState.NormalizePath(savefile)] = text;
        }
        Info("Configuration saved to " + savefile);
        return null;
    }

    /// <summary>UIRoot._save_backups: keeps a gzip copy of the previous file when it differs from the newest backup.</summary>
    void SaveBackups(string savefile)
    {
        var backupDir = SimulatedHostState.ParentOf(savefile) + "/backup/";
        _s.AddDirectory(backupDir);
        if (_s.Saved is null) return;
        if (_s.BackupCount > 0 && _s.LastBackup == _s.Saved) return;
        var max = TryPyInt(PrefString("max_backup_files") ?? "10", out var m) ? (int)m : 10;
        _s.LastBackup = _s.Saved;
        _s.BackupCount = Math.Max(1, Math.Min(_s.BackupCount + 1, max));
        Info($"Last {max} configs saved in {backupDir}.");
    }

    /// <summary>Sessions in rtslib's order: every node ACL of every target that has one.</summary>
    internal IEnumerable<(SimulatedSession Session, JsonObject Acl, JsonObject Tpg, string Target)> LiveSessions()
    {
        foreach (var t in Targets())
            foreach (var tpg in Arr(t, "tpgs").OfType<JsonObject>())
                foreach (var acl in Arr(tpg, "node_acls").OfType<JsonObject>())
                {
                    var s = _s.Sessions.FirstOrDefault(x => x.TargetIqn == Str(t, "wwn") && x.Tpg == Int(tpg, "tag") && x.InitiatorIqn == Str(acl, "node_wwn"));
                    if (s is not null) yield return (s, acl, tpg, Str(t, "wwn"));
                }
    }

    object? Sessions(string? action, string? sid)
    {
        action ??= "list";
        if (action != "list" && action != "detail") throw new TcError("action must be one of: list, detail");
        long sidValue = 0;
        if (sid is not null && !TryPyInt(sid, out sidValue)) throw new TcError($"sid must be a number, '{sid}' given");
        var list = LiveSessions().ToList();
        if (!string.IsNullOrEmpty(sid)) list = list.Where(x => x.Session.Sid == sidValue).ToList();
        if (list.Count == 0)
        {
            if (sid is null) Out("(no open sessions)\n");
            else throw new TcError($"no session found with sid {sidValue}");
            return null;
        }
        foreach (var (s, acl, tpg, _) in list)
        {
            Out($"alias: {s.Alias}\tsid: {s.Sid} type: Normal session-state: LOGGED_IN\n");
            if (action != "detail") continue;
            var auth = AclAuthenticatesTarget(acl) ? " (authenticated)" : " (NOT AUTHENTICATED)";
            Out($"    name: {Str(acl, "node_wwn")}{auth}\n");
            foreach (var ml in Arr(acl, "mapped_luns").OfType<JsonObject>())
            {
                var lun = Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Int(l, "index") == Int(ml, "tpg_lun"));
                var so = lun is null ? null : FindSoByPath(Str(lun, "storage_object"));
                var mode = Bool(ml, "write_protect") ? "r" : "rw";
                Out($"    mapped-lun: {Int(ml, "index")} backstore: {(so is null ? "?" : Str(so, "plugin") + "/" + Str(so, "name"))} mode: {mode}\n");
            }
            Out($"    address: {s.Address} (TCP)  cid: 0 connection-state: LOGGED_IN\n");
        }
        return null;
    }

    /// <summary>The kernel sets authenticate_target when both mutual CHAP credentials are set.</summary>
    internal static bool AclAuthenticatesTarget(JsonObject acl) =>
        !string.IsNullOrEmpty(Str(acl, "chap_mutual_userid")) && !string.IsNullOrEmpty(Str(acl, "chap_mutual_password"));

    /// <summary>The text of <c>targetcli sessions detail</c>.</summary>
    public string SessionsText(bool detail = true)
    {
        Reset();
        Sessions(detail ? "detail" : "list", null);
        return _out.ToString();
    }

    object? ClearConfig(string? confirm)
    {
        if (!EvalBool(confirm, false)) throw new TcError("As a precaution, confirm=True needs to be set");
        _s.Live = LioDefaults.EmptyConfig();
        _s.Sessions.Clear();
        Info("All configuration cleared");
        return null;
    }

    object? RestoreConfig(string? savefile, string? clearExisting)
    {
        savefile = string.IsNullOrEmpty(savefile) ? _s.SaveConfigPath : savefile;
        string? text = savefile == _s.SaveConfigPath ? _s.Saved
            : _s.OtherSavedFiles.TryGetValue(SimulatedHostState.NormalizePath(savefile), out var t) ? t : null;
        if (text is null) { Info($"Restore file {savefile} not found"); return null; }
        var clear = EvalBool(clearExisting, false);
        if (!clear && (StorageObjects().Any() || Targets().Any()))
            throw new TcError("restoreconfig into a non-empty configuration without clear_existing=true is not simulated");
        _s.Sessions.Clear();
        _s.Live = _s.RestoredFrom(text);
        Info($"Configuration restored from {savefile}");
        return null;
    }

    // ================= backstores =================

    static long HumanToBytes(string hsize)
    {
        var size = hsize.Replace("i", "").ToLowerInvariant();
        if (!Regex.IsMatch(size, "^[0-9]+[k|m|g|t]?[b]?$"))
            throw new TcError($"Cannot interpret size, wrong format: {hsize}");
        size = size.TrimEnd('i', 'b');
        int power = "kmgt".IndexOf(size[^1]) + 1;
        if (power == 0 && size[^1] == '|') throw new TcCrash("ValueError", $"invalid literal for int() with base 10: '{size}'");
        var digits = power == 0 ? size : size[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new TcCrash("ValueError", $"invalid literal for int() with base 10: '{digits}'");
        for (int i = 0; i < power; i++) n *= 1024;
        return n;
    }

    internal static string BytesToHuman(long size)
    {
        if (size < 1024) return $"{size} bytes";
        double s = size / 1024.0;
        foreach (var unit in new[] { "KiB", "MiB", "GiB", "TiB", "PiB" })
        {
            if (s < 1024.0) return s.ToString("0.0", CultureInfo.InvariantCulture) + unit;
            s /= 1024.0;
        }
        return s.ToString("0.0", CultureInfo.InvariantCulture) + "EiB";
    }

    static void CheckSoName(string name)
    {
        if (name.Contains('/') || name.Contains(' ') || name.Contains('\t') || name.Contains('\n'))
            throw new TcError("A storage object's name cannot contain  /, newline or spaces/tabs");
    }

    bool IsBlockDevice(string normPath) => _s.TryGetLogicalVolume(normPath, out _, out _);

    bool PathExists(string normPath) =>
        _s.FileExists(normPath) || _s.DirectoryExists(normPath) || IsBlockDevice(normPath);

    static string ExpandUser(string p) => p == "~" ? "/root" : p.StartsWith("~/", StringComparison.Ordinal) ? "/root" + p[1..] : p;

    object? CreateFileio(Node n, string name, string fileOrDev, string? size, string? writeBack, string? sparse, string? wwn)
    {
        var sp = EvalBool(sparse, true);
        var wb = EvalBool(writeBack, true);
        var w = string.IsNullOrEmpty(wwn) ? null : wwn;
        var path = ExpandUser(fileOrDev);
        var norm = SimulatedHostState.NormalizePath(path);
        if (PathExists(norm))
        {
            foreach (var so in StorageObjects())
            {
                var udev = Str(so, "dev");
                if (udev.Length == 0) continue;
                var un = SimulatedHostState.NormalizePath(udev);
                if (!PathExists(un))
                    throw new TcCrash("FileNotFoundError", $"[Errno 2] No such file or directory: '{udev}'");
                if (un == norm) throw new TcError($"storage object for {path} already exists: {Str(so, "name")}");
            }
        }
        long sizeBytes;
        bool isBlock = IsBlockDevice(norm);
        if (isBlock)
        {
            if (!string.IsNullOrEmpty(size)) Info("Block device, size parameter ignored");
            Info("Note: block backstore preferred for best results");
            sizeBytes = _s.BlockDeviceSize(norm) ?? 0;
        }
        else if (_s.FileExists(norm))
        {
            var existing = _s.Files[norm].SizeBytes;
            if (!string.IsNullOrEmpty(size)) Info($"{path} exists, using its size ({existing} bytes) instead");
            sizeBytes = existing;
        }
        else if (_s.DirectoryExists(norm))
            throw new TcError($"Path {path} exists but is not a file");
        else
        {
            if (string.IsNullOrEmpty(size)) throw new TcError("Attempting to create file for new fileio backstore, need a size");
            sizeBytes = HumanToBytes(size);
            if (!_s.DirectoryExists(SimulatedHostState.ParentOf(norm))) throw new TcError($"Could not open {path}");
            if (!sp) Info($"Writing {sizeBytes} bytes");
            // targetcli's "sparse" path calls posix_fallocate, so the file is fully allocated either way.
            _s.Files[norm] = new SimulatedFile { SizeBytes = sizeBytes, AllocatedBytes = sizeBytes };
        }
        CheckSoName(name);
        if (FindSo("fileio", name) is not null) throw new TcError($"Storage object fileio/{name} exists");
        if (isBlock && StorageObjects().Any(o => Str(o, "plugin") == "block" && SimulatedHostState.NormalizePath(Str(o, "dev")) == norm))
            throw new TcError($"Device {path} is already in use");
        var obj = LioDefaults.FileioStorageObject(name, path, sizeBytes, wb, PrefBool("export_backstore_name_as_model"), w ?? NewGuid().ToString());
        Arr(_s.Live, "storage_objects").Insert(0, obj);
        Info($"Created fileio {name} with size {sizeBytes}");
        return NewNode(Child(n, name));
    }

    object? CreateBlock(Node n, string name, string dev, string? readOnly, string? wwn)
    {
        var norm = SimulatedHostState.NormalizePath(dev);
        bool ro;
        if (string.IsNullOrEmpty(readOnly))
        {
            if (!IsBlockDevice(norm) && !_s.FileExists(norm) && !_s.DirectoryExists(norm)) throw new TcError($"Could not open {dev}");
            ro = false;
        }
        else ro = EvalBool(readOnly, false);
        var w = string.IsNullOrEmpty(wwn) ? null : wwn;
        CheckSoName(name);
        if (FindSo("block", name) is not null) throw new TcError($"Storage object block/{name} exists");
        if (!IsBlockDevice(norm)) throw new TcError($"Device {dev} is not a TYPE_DISK block device");
        if (StorageObjects().Any(o => Str(o, "plugin") == "block" && SimulatedHostState.NormalizePath(Str(o, "dev")) == norm))
            throw new TcError($"Cannot configure StorageObject because device {dev} is already in use");
        var obj = LioDefaults.BlockStorageObject(name, dev, ro, PrefBool("export_backstore_name_as_model"), w ?? NewGuid().ToString());
        Arr(_s.Live, "storage_objects").Insert(0, obj);
        Info($"Created block storage object {name} using {dev}.");
        return NewNode(Child(n, name));
    }

    object? DeleteStorageObject(Node n, string name)
    {
        var so = FindSo(n.Plugin, name) ?? throw new TcError($"No storage object named {name}.");
        var path = SoPath(so);
        foreach (var t in Targets())
            foreach (var tpg in Arr(t, "tpgs").OfType<JsonObject>())
                foreach (var lun in Arr(tpg, "luns").OfType<JsonObject>().Where(l => Str(l, "storage_object") == path).ToList())
                    RemoveLun(tpg, lun);
        Arr(_s.Live, "storage_objects").Remove(so);
        Info($"Deleted storage object {name}.");
        return null;
    }

    /// <summary>rtslib LUN.delete: its mapped LUNs go first.</summary>
    static void RemoveLun(JsonObject tpg, JsonObject lun)
    {
        var idx = Int(lun, "index");
        foreach (var acl in Arr(tpg, "node_acls").OfType<JsonObject>())
        {
            var mls = Arr(acl, "mapped_luns");
            foreach (var ml in mls.OfType<JsonObject>().Where(m => Int(m, "tpg_lun") == idx).ToList()) mls.Remove(ml);
        }
        Arr(tpg, "luns").Remove(lun);
    }

    // ================= targets and TPGs =================

    object? CreateTarget(Node fabric, string? wwn)
    {
        string w;
        if (wwn is not null)
        {
            if (wwn.StartsWith("naa.6", StringComparison.Ordinal)) wwn = "naa.5" + wwn[5..];
            w = NormalizeIscsiWwn(wwn);
        }
        else
        {
            var host = _s.Hostname.Split('.')[0].Replace("_", "");
            w = $"iqn.2003-01.org.linux-iscsi.{host}.x8664:sn.{NewGuid().ToString()[24..]}".ToLowerInvariant();
        }
        if (FindTarget(w) is not null) throw new TcError("This Target already exists in configFS");
        Arr(_s.Live, "targets").Insert(0, LioDefaults.Target(w));
        Info($"Created target {w}.");
        return CreateTpg(w, null);
    }

    object? DeleteTarget(string wwn)
    {
        var given = wwn;
        if (wwn.StartsWith("naa.6", StringComparison.Ordinal)) wwn = "naa.5" + wwn[5..];
        var w = NormalizeIscsiWwn(wwn);
        var t = FindTarget(w) ?? throw new TcError($"No such Target in configfs: {TargetCfs(w)}");
        Arr(_s.Live, "targets").Remove(t);
        _s.Sessions.RemoveAll(s => s.TargetIqn == w);
        Info($"Deleted Target {given}.");
        return null;
    }

    object? CreateTpg(string wwn, string? tag)
    {
        long? t = null;
        if (!string.IsNullOrEmpty(tag))
        {
            if (tag.StartsWith("tpg", StringComparison.Ordinal)) tag = tag[3..];
            if (!TryPyInt(tag, out var v)) throw new TcError("Tag argument must be a number.");
            t = v;
        }
        var target = FindTarget(wwn)!;
        var tpgs = Arr(target, "tpgs");
        var tags = tpgs.OfType<JsonObject>().Select(g => (long)Int(g, "tag")).ToHashSet();
        if (t is null) { long i = 1; while (tags.Contains(i)) i++; t = i; }
        else if (t < 0) throw new TcError("The TPG Tag must be >=0");
        if (tags.Contains(t.Value)) throw new TcError("This TPG already exists in configFS");
        var tpg = LioDefaults.Tpg((int)t.Value);
        tpgs.Insert(0, tpg);
        if (PrefBool("auto_enable_tpgt")) SetTpgEnabled(tpg, true);
        TaAuthentication(tpg, 0);
        Info($"Created TPG {t}.");
        if (PrefBool("auto_add_default_portal"))
        {
            var portals = Arr(tpg, "portals");
            var exists = portals.OfType<JsonObject>().Any(p => Str(p, "ip_address") == "0.0.0.0" && Int(p, "port") == 3260);
            if (exists || CanBind("0.0.0.0", 3260))
            {
                if (!exists) portals.Insert(0, LioDefaults.Portal("0.0.0.0", 3260));
                Info("Global pref auto_add_default_portal=true");
                Info("Created default portal listening on all IPs (0.0.0.0), port 3260.");
            }
            else Info("Default portal not created, TPGs within a target cannot share ip:port.");
        }
        return NewNode($"/iscsi/{wwn}/tpg{t}");
    }

    object? DeleteTpg(string wwn, string tag)
    {
        if (tag.StartsWith("tpg", StringComparison.Ordinal)) tag = tag[3..];
        if (!TryPyInt(tag, out var t)) throw new TcError("Tag argument must be a number.");
        var tpg = FindTpg(wwn, (int)t) ?? throw new TcError($"No such TPG in configfs: {TpgCfs(wwn, (int)t)}");
        Arr(FindTarget(wwn)!, "tpgs").Remove(tpg);
        _s.Sessions.RemoveAll(s => s.TargetIqn == wwn && s.Tpg == t);
        Info($"Deleted TPGT {t}.");
        return null;
    }

    void SetTpgEnabled(JsonObject tpg, bool enable)
    {
        if (enable && !Bool(tpg, "enable"))
        {
            // iscsit_tpg_enable_portal_group: with authentication enforced, AuthMethod loses "None".
            if (AttrLong(tpg, "authentication") == 1)
            {
                var p = Params(tpg);
                if ((string?)p["AuthMethod"] == "None") p["AuthMethod"] = "CHAP";
                TaAuthentication(tpg, 1);
            }
        }
        tpg["enable"] = enable;
    }

    static JsonObject Attrs(JsonObject o) => o["attributes"] as JsonObject ?? (JsonObject)(o["attributes"] = new JsonObject());
    static JsonObject Params(JsonObject o) => o["parameters"] as JsonObject ?? (JsonObject)(o["parameters"] = new JsonObject());
    static long AttrLong(JsonObject o, string name) => Attrs(o)[name] is JsonValue v && long.TryParse(v.ToString(), out var l) ? l : 0;

    /// <summary>The kernel's iscsit_ta_authentication: enforcing removes "None" from AuthMethod, relaxing adds it.</summary>
    static void TaAuthentication(JsonObject tpg, long value)
    {
        var p = Params(tpg);
        var buf1 = (string?)p["AuthMethod"] ?? "CHAP,None";
        if (value == 1)
        {
            var none = buf1.IndexOf("None", StringComparison.Ordinal);
            if (none >= 0)
            {
                string buf2;
                if (none + 4 < buf1.Length && buf1[none + 4] == ',')
                    buf2 = none == 0 ? buf1[(none + 5)..] : buf1[..(none - 1)] + buf1[(none + 4)..];
                else
                    buf2 = none == 0 ? buf1 : buf1[..(none - 1)];
                p["AuthMethod"] = buf2;
            }
        }
        else if (!buf1.Contains("None", StringComparison.Ordinal))
            p["AuthMethod"] = buf1 + ",None";
        Attrs(tpg)["authentication"] = value;
    }

    object? EnableTpg(Node n, bool enable)
    {
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        if (enable)
        {
            if (Bool(tpg, "enable")) Info("The TPGT is already enabled.");
            else { SetTpgEnabled(tpg, true); Info("The TPGT has been enabled."); }
        }
        else if (Bool(tpg, "enable"))
        {
            tpg["enable"] = false;
            _s.Sessions.RemoveAll(s => s.TargetIqn == n.Wwn && s.Tpg == n.Tag);
            Info("The TPGT has been disabled.");
        }
        else Info("The TPGT is already disabled.");
        return null;
    }

    // ================= LUNs =================

    /// <summary>Resolves a storage object given by path from a node (UI get_node(...).rtsnode).</summary>
    JsonObject? ResolveStorageObject(Node from, string path)
    {
        Node node;
        try { node = GetNode(from, path); }
        catch (ValueErr) { return null; }
        if (node.Kind != K.So) throw new TcCrash("AttributeError", $"'{UiClass(node)}' object has no attribute 'rtsnode'");
        return FindSo(node.Plugin, node.SoName);
    }

    static string UiClass(Node n) => n.Kind switch
    {
        K.Backstores => "UIBackstores",
        K.Backstore => "UI" + n.Plugin + "Backstore",
        K.Luns => "UILUNs",
        K.Acls => "UINodeACLs",
        K.Portals => "UIPortals",
        K.Alua => "UIALUATargetPortGroups",
        _ => "UINode",
    };

    object? CreateLun(Node n, string storageObject, string? lun, string? addMappedLuns)
    {
        var amap = EvalBool(addMappedLuns, PrefBool("auto_add_mapped_luns"));
        var so = ResolveStorageObject(n, storageObject) ?? throw new TcError("storage object or path not valid");
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        var soPath = SoPath(so);
        if (Arr(tpg, "luns").OfType<JsonObject>().Any(l => Str(l, "storage_object") == soPath))
            throw new TcError($"lun for storage object {Str(so, "plugin")}/{Str(so, "name")} already exists");
        var lunStr = lun;
        if (!string.IsNullOrEmpty(lunStr) && lunStr.ToLowerInvariant().StartsWith("lun", StringComparison.Ordinal)) lunStr = lunStr[3..];
        var index = NewLun(tpg, lunStr, soPath);
        Info($"Created LUN {index}.");
        if (amap)
        {
            foreach (var acl in Arr(tpg, "node_acls").OfType<JsonObject>().ToList())
            {
                var existing = Arr(acl, "mapped_luns").OfType<JsonObject>().Select(m => (long)Int(m, "index")).ToList();
                long? mapped;
                if (!string.IsNullOrEmpty(lunStr)) mapped = PyIntOrCrash(lunStr);   // a string: never found among the ints
                else
                {
                    mapped = 0;
                    if (existing.Contains(0))
                    {
                        mapped = null;
                        for (long i = 0; i < 255; i++) if (!existing.Contains(i)) { mapped = i; break; }
                    }
                }
                if (mapped is null) Warning($"Cannot map new lun {index} into ACL {Str(acl, "node_wwn")}");
                else
                {
                    NewMappedLun(n.Wwn, n.Tag, acl, mapped.Value, index, false);
                    Info($"Created LUN {index}->{mapped} mapping in node ACL {Str(acl, "node_wwn")}");
                }
            }
        }
        return NewNode(Child(n, "lun" + index));
    }

    /// <summary>rtslib LUN(tpg, lun, storage_object): the index given or the lowest free one.</summary>
    long NewLun(JsonObject tpg, string? lunStr, string soPath)
    {
        var luns = Arr(tpg, "luns");
        var used = luns.OfType<JsonObject>().Select(l => (long)Int(l, "index")).ToHashSet();
        long index;
        if (lunStr is null)
        {
            index = -1;
            for (long i = 0; i <= 65535; i++) if (!used.Contains(i)) { index = i; break; }
            if (index < 0) throw new TcError("All LUNs 0-65535 in use");
        }
        else
        {
            index = PyIntOrCrash(lunStr);
            if (index < 0 || index > 65535) throw new TcError("LUN must be 0 to 65535");
        }
        if (used.Contains(index)) throw new TcError("This LUN already exists in configFS");
        luns.Insert(0, LioDefaults.Lun((int)index, soPath, Alias()));
        return index;
    }

    object? DeleteLun(Node n, string lun)
    {
        if (lun.ToLowerInvariant().StartsWith("lun", StringComparison.Ordinal)) lun = lun[3..];
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        if (!TryPyInt(lun, out var idx)) throw new TcError("Invalid LUN");
        var obj = Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Int(l, "index") == idx)
                  ?? throw new TcError("Invalid LUN");
        RemoveLun(tpg, obj);
        Info($"Deleted LUN {lun}.");
        return null;
    }

    // ================= node ACLs and mapped LUNs =================

    object? CreateAcl(Node n, string wwn, string? addMappedLuns)
    {
        var amap = EvalBool(addMappedLuns, PrefBool("auto_add_mapped_luns"));
        var w = NormalizeIscsiWwn(wwn);
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        var acls = Arr(tpg, "node_acls");
        if (acls.OfType<JsonObject>().Any(a => Str(a, "node_wwn") == w)) throw new TcError("This NodeACL already exists in configFS");
        var acl = LioDefaults.NodeAcl(w);
        acls.Insert(0, acl);
        Info($"Created Node ACL for {w}");
        if (amap)
            foreach (var lun in Arr(tpg, "luns").OfType<JsonObject>().ToList())
            {
                var idx = Int(lun, "index");
                NewMappedLun(n.Wwn, n.Tag, acl, idx, idx, false);
                Info($"Created mapped LUN {idx}.");
            }
        return NewNode(Child(n, w));
    }

    object? DeleteAcl(Node n, string wwn)
    {
        var w = NormalizeIscsiWwn(wwn);
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        var acl = Arr(tpg, "node_acls").OfType<JsonObject>().FirstOrDefault(a => Str(a, "node_wwn") == w)
                  ?? throw new TcError($"No such NodeACL in configfs: {TpgCfs(n.Wwn, n.Tag)}/acls/{w}");
        Arr(tpg, "node_acls").Remove(acl);
        _s.Sessions.RemoveAll(s => s.TargetIqn == n.Wwn && s.Tpg == n.Tag && s.InitiatorIqn == w);
        Info($"Deleted Node ACL {wwn}.");
        return null;
    }

    /// <summary>rtslib MappedLUN(acl, mapped_lun, tpg_lun, write_protect) in create mode.</summary>
    void NewMappedLun(string wwn, int tag, JsonObject acl, long mapped, long tpgLun, bool writeProtect)
    {
        if (mapped < 0 || mapped > 255) throw new TcError("Mapped LUN must be 0 to 255");
        var mls = Arr(acl, "mapped_luns");
        if (mls.OfType<JsonObject>().Any(m => Int(m, "index") == mapped)) throw new TcError("This MappedLUN already exists in configFS");
        if (!Luns(wwn, tag).Any(l => Int(l, "index") == tpgLun)) throw new TcError($"LUN {tpgLun} does not exist in this TPG");
        mls.Insert(0, LioDefaults.MappedLun((int)mapped, (int)tpgLun, writeProtect, Alias()));
    }

    /// <summary>rtslib: write_protect = int(write_protect) &gt; 0, anything int() refuses meaning False ("true" too).</summary>
    static bool WriteProtectValue(string? wp) => wp is not null && TryPyInt(wp, out var v) && v > 0;

    object? CreateMappedLun(Node n, string mappedLun, string tpgLunOrBackstore, string? writeProtect)
    {
        if (!TryPyInt(mappedLun, out var mapped)) throw new TcError("mapped_lun must be an integer");
        var x = tpgLunOrBackstore;
        if (x.StartsWith("lun", StringComparison.Ordinal)) x = x[3..];
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        if (!TryPyInt(x, out var tpgLun))
        {
            var so = ResolveStorageObject(n, x) ?? throw new TcError("LUN, storage object, or path not valid");
            var soPath = SoPath(so);
            var lun = Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Str(l, "storage_object") == soPath);
            if (lun is not null) tpgLun = Int(lun, "index");
            else
            {
                tpgLun = NewLun(tpg, null, soPath);
                Info($"Created LUN {tpgLun}.");
            }
        }
        var acl = FindAcl(n.Wwn, n.Tag, n.AclWwn)!;
        if (Arr(acl, "mapped_luns").OfType<JsonObject>().Any(m => Int(m, "tpg_lun") == tpgLun))
            Warning($"Warning: TPG LUN {tpgLun} already mapped to this NodeACL");
        NewMappedLun(n.Wwn, n.Tag, acl, mapped, tpgLun, WriteProtectValue(writeProtect));
        Info($"Created Mapped LUN {mapped}.");
        return NewNode(Child(n, "mapped_lun" + mapped));
    }

    object? DeleteMappedLun(Node n, string mappedLun)
    {
        if (!TryPyInt(mappedLun, out var m)) throw new TcError("The mapped_lun parameter must be an integer value");
        if (m < 0 || m > 255) throw new TcError("Mapped LUN must be 0 to 255");
        var acl = FindAcl(n.Wwn, n.Tag, n.AclWwn)!;
        var ml = Arr(acl, "mapped_luns").OfType<JsonObject>().FirstOrDefault(x => Int(x, "index") == m)
                 ?? throw new TcError($"No such MappedLUN in configfs: {TpgCfs(n.Wwn, n.Tag)}/acls/{n.AclWwn}/lun_{m}");
        Arr(acl, "mapped_luns").Remove(ml);
        Info($"Deleted Mapped LUN {mappedLun}.");
        return null;
    }

    // ================= portals =================

    static bool IsWildcard(string canonicalIp) => canonicalIp is "0.0.0.0" or "[::]" or "[::0]" or "[0:0:0:0:0:0:0:0]";

    static bool ValidPortalIp(string canonicalIp)
    {
        if (canonicalIp.StartsWith('[') && canonicalIp.EndsWith(']'))
            return IPAddress.TryParse(canonicalIp[1..^1], out var a6) && a6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var parts = canonicalIp.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>
    /// Whether the kernel can add this network portal: a valid address (any: LIO binds with IP_FREEBIND, so an
    /// address the host does not have is accepted, as the lab capture shows for 192.0.2.1), and no
    /// wildcard/specific clash on the same port with a portal already listening (bind gives EADDRINUSE; the same
    /// address and port in another target is shared).
    /// </summary>
    bool CanBind(string canonicalIp, long port)
    {
        if (port < 0 || port > 65535 || !ValidPortalIp(canonicalIp)) return false;
        foreach (var t in Targets())
            foreach (var tpg in Arr(t, "tpgs").OfType<JsonObject>())
                foreach (var p in Arr(tpg, "portals").OfType<JsonObject>())
                {
                    if (Int(p, "port") != port) continue;
                    var ip = Str(p, "ip_address");
                    if (ip == canonicalIp) continue;
                    if (IsWildcard(ip) || IsWildcard(canonicalIp)) return false;
                }
        return true;
    }

    static string CanonicalizeIp(string ip) => ip.Contains('.') ? ip : "[" + ip + "]";

    object? CreatePortal(Node n, string? ipAddress, string? ipPort)
    {
        var port = EvalNumber(ipPort, 3260);
        string? ip = ipAddress is null ? "0.0.0.0" : ipAddress.Length == 0 ? null : ipAddress;
        if (port == 3260) Info("Using default IP port 3260");
        if (ip == "0.0.0.0") Info("Binding to INADDR_ANY (0.0.0.0)");
        if (ip is null) throw new TcCrash("TypeError", "argument of type 'NoneType' is not iterable");
        if (port is null) throw new TcCrash("TypeError", "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
        var canon = CanonicalizeIp(ip);
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        var portals = Arr(tpg, "portals");
        if (portals.OfType<JsonObject>().Any(p => Str(p, "ip_address") == canon && Int(p, "port") == port))
            throw new TcError("This NetworkPortal already exists in configFS");
        if (!CanBind(canon, port.Value)) throw new TcError("Could not create NetworkPortal in configFS");
        portals.Insert(0, LioDefaults.Portal(canon, (int)port.Value));
        Info($"Created network portal {ip}:{port}.");
        return NewNode(Child(n, canon + ":" + port));
    }

    object? DeletePortal(Node n, string ipAddress, string ipPort)
    {
        var canon = CanonicalizeIp(ipAddress);
        if (!TryPyInt(ipPort, out var port)) throw new TcError("Invalid port");
        var tpg = FindTpg(n.Wwn, n.Tag)!;
        var p = Arr(tpg, "portals").OfType<JsonObject>().FirstOrDefault(x => Str(x, "ip_address") == canon && Int(x, "port") == port)
                ?? throw new TcError($"No such NetworkPortal in configfs: {TpgCfs(n.Wwn, n.Tag)}/np/{canon}:{port}");
        Arr(tpg, "portals").Remove(p);
        Info($"Deleted network portal {ipAddress}:{ipPort}");
        return null;
    }

    // ================= set / get =================

    static readonly Dictionary<string, string> TpgAttrTypes = new(StringComparer.Ordinal)
    {
        ["authentication"] = "number", ["cache_dynamic_acls"] = "number", ["default_cmdsn_depth"] = "number", ["default_erl"] = "number",
        ["demo_mode_discovery"] = "number", ["demo_mode_write_protect"] = "number", ["fabric_prot_type"] = "number",
        ["generate_node_acls"] = "number", ["login_timeout"] = "number", ["netif_timeout"] = "number",
        ["prod_mode_write_protect"] = "number", ["t10_pi"] = "number", ["tpg_enabled_sendtargets"] = "number",
    };

    static readonly Dictionary<string, string> ParamTypes = new(StringComparer.Ordinal)
    {
        ["DataPDUInOrder"] = "yesno", ["DataSequenceInOrder"] = "yesno", ["DefaultTime2Retain"] = "number", ["DefaultTime2Wait"] = "number",
        ["ErrorRecoveryLevel"] = "number", ["FirstBurstLength"] = "number", ["IFMarker"] = "yesno", ["InitialR2T"] = "yesno",
        ["MaxBurstLength"] = "number", ["MaxConnections"] = "number", ["MaxOutstandingR2T"] = "number",
        ["MaxRecvDataSegmentLength"] = "number", ["MaxXmitDataSegmentLength"] = "number", ["OFMarker"] = "yesno",
    };

    static readonly Dictionary<string, string> AclAttrTypes = new(StringComparer.Ordinal)
    {
        ["dataout_timeout"] = "number", ["dataout_timeout_retries"] = "number", ["default_erl"] = "number",
        ["nopin_response_timeout"] = "number", ["nopin_timeout"] = "number", ["random_datain_pdu_offsets"] = "number",
        ["random_datain_seq_offsets"] = "number", ["random_r2t_offsets"] = "number",
    };

    static readonly string[] AuthParams = { "userid", "password", "mutual_userid", "mutual_password" };

    List<string> Groups(Node n)
    {
        var g = new List<string> { "global" };
        switch (n.Kind)
        {
            case K.Tpg: g.AddRange(new[] { "attribute", "parameter", "auth" }); break;
            case K.Acl: g.AddRange(new[] { "attribute", "auth" }); break;
            case K.So: g.Add("attribute"); break;
            case K.Lun: g.Add("alua"); break;
        }
        return g;
    }

    /// <summary>The object whose attributes/parameters/auth a node's groups act on.</summary>
    JsonObject RtsNode(Node n) => n.Kind switch
    {
        K.Tpg => FindTpg(n.Wwn, n.Tag)!,
        K.Acl => FindAcl(n.Wwn, n.Tag, n.AclWwn)!,
        K.So => FindSo(n.Plugin, n.SoName)!,
        K.Lun => Luns(n.Wwn, n.Tag).First(l => Int(l, "index") == n.Index),
        _ => throw new TcError($"Unknown configuration group on {n.Path}"),
    };

    List<string> GroupParams(Node n, string group) => group switch
    {
        "global" => GlobalParams.Keys.ToList(),
        "attribute" => Attrs(RtsNode(n)).Select(kv => kv.Key).ToList(),
        "parameter" => Params(RtsNode(n)).Select(kv => kv.Key).ToList(),
        "auth" => AuthParams.ToList(),
        "alua" => new List<string> { "alua_tg_pt_gp_name" },
        _ => new List<string>(),
    };

    string ParamType(Node n, string group, string param) => group switch
    {
        "global" => GlobalParams[param].Type,
        "attribute" => n.Kind switch
        {
            K.Tpg => TpgAttrTypes.GetValueOrDefault(param, "string"),
            K.Acl => AclAttrTypes.GetValueOrDefault(param, "string"),
            _ => param == "alua_support" || param == "pgr_support" || param == "pi_prot_verify" ? "string" : "number",
        },
        "parameter" => ParamTypes.GetValueOrDefault(param, "string"),
        _ => "string",
    };

    /// <summary>configshell's ui_type_*(value): the typed value (null for an empty string), or ArgumentException.</summary>
    JsonNode? ConvertValue(string type, string value) => type switch
    {
        "bool" => TypeBool(value),
        "number" => TypeNumber(value) is { } l ? JsonValue.Create(l) : null,
        "yesno" => value is "Yes" or "No" ? value : throw new ArgumentException($"Syntax error, '{value}' is not Yes|No."),
        "loglevel" => LogLevels.Contains(value) ? value : throw new ArgumentException($"Syntax error, '{value}' is not {string.Join('|', LogLevels)}"),
        "color" or "colordefault" => Colors.Contains(value) || value == "default" ? value
            : throw new ArgumentException($"Syntax error, '{value}' is not {string.Join('|', Colors.Append("default"))}."),
        _ => value.Length == 0 ? null : value,
    };

    static string Reverse(string type, JsonNode? value) => type switch
    {
        "bool" => value is JsonValue b && b.TryGetValue<bool>(out var x) && x ? "true" : "false",
        "color" or "colordefault" => value is null ? "default" : value.ToString(),
        _ => value is null ? "n/a" : value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToString(),
    };

    void Set(Node n, string? group, List<KeyValuePair<string, string>> parameters)
    {
        var groups = Groups(n);
        if (group is null)
        {
            Out("AVAILABLE CONFIGURATION GROUPS\n==============================\n" + string.Join(' ', groups));
            return;
        }
        if (!groups.Contains(group)) throw new TcError($"Unknown configuration group: {group}");
        if (parameters.Count == 0)
        {
            Out($"{group.ToUpperInvariant()} CONFIG GROUP\n" + string.Join("\n", GroupParams(n, group).Select(p => $"{p}={ParamType(n, group, p)}")) + "\n");
            return;
        }
        foreach (var (param, raw) in parameters)
        {
            if (!GroupParams(n, group).Contains(param)) throw new TcError($"Unknown parameter {param} in group '{group}'.");
            var type = ParamType(n, group, param);
            JsonNode? value;
            try { value = ConvertValue(type, raw); }
            catch (ArgumentException e) { throw new TcError($"Not setting {param}! {e.Message}"); }
            SetGroupParam(n, group, param, value);
            var shown = Reverse(type, GetGroupParam(n, group, param));
            Display($"Parameter {param} is now '{shown}'.");
        }
    }

    void Get(Node n, string? group, List<string> parameters)
    {
        var groups = Groups(n);
        if (group is null) { Out("AVAILABLE CONFIGURATION GROUPS\n==============================\n" + string.Join(' ', groups)); return; }
        if (!groups.Contains(group)) throw new TcError($"Unknown configuration group: {group}");
        if (parameters.Count == 0)
        {
            var section = $"{group.ToUpperInvariant()} CONFIG GROUP";
            var sb = new StringBuilder(section + "\n" + new string('=', section.Length) + "\n");
            foreach (var p in GroupParams(n, group))
            {
                var line = $"{p}={Reverse(ParamType(n, group, p), GetGroupParam(n, group, p))}";
                sb.Append(line).Append('\n').Append(new string('-', line.Length)).Append("\n\n\n");
            }
            Out(sb.ToString());
            return;
        }
        foreach (var p in parameters)
        {
            if (!GroupParams(n, group).Contains(p)) throw new TcError($"No parameter '{p}' in group '{group}'.");
            Display($"{p}={Reverse(ParamType(n, group, p), GetGroupParam(n, group, p))} ");
        }
    }

    JsonNode? GetGroupParam(Node n, string group, string param)
    {
        switch (group)
        {
            case "global": return Pref(param)?.DeepClone();
            case "attribute":
                var a = Attrs(RtsNode(n))[param];
                return a is null ? null : JsonValue.Create(a.ToString());
            case "parameter": return Params(RtsNode(n))[param]?.DeepClone();
            case "auth": return JsonValue.Create(Str(RtsNode(n), "chap_" + param));
            case "alua": return JsonValue.Create(Str(RtsNode(n), "alua_tg_pt_gp_name"));
        }
        return null;
    }

    const string Einval = "[Errno 22] Invalid argument";

    void SetGroupParam(Node n, string group, string param, JsonNode? value)
    {
        switch (group)
        {
            case "global":
                _s.TargetcliPrefs[param] = value?.DeepClone();
                return;
            case "auth":
            {
                var obj = RtsNode(n);
                var v = (value?.ToString() ?? "").Trim();
                if (v == "NULL") throw new TcError("'NULL' is not a permitted value");
                if (v.Length > 255) throw new TcError("Value longer than maximum length of 255");
                if (v.Length == 0) obj.Remove("chap_" + param); else obj["chap_" + param] = v;
                return;
            }
            case "alua":
                if (value is null) return;
                if (value.ToString() != "default_tg_pt_gp") throw new TcError($"ALUA group {value} does not exist");
                RtsNode(n)["alua_tg_pt_gp_name"] = value.ToString();
                return;
            case "parameter":
            {
                var tpg = RtsNode(n);
                var text = value is null ? "None" : value.ToString();
                if (!ParameterAccepted(param, text)) throw new TcError($"Cannot set parameter {param}: {Einval}");
                Params(tpg)[param] = text;
                return;
            }
            case "attribute":
            {
                var obj = RtsNode(n);
                var text = value is null ? "None" : value.ToString();
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var num) || !AttributeAccepted(n.Kind, param, num))
                    throw new TcError($"Cannot set attribute {param}: {Einval}");
                if (n.Kind == K.Tpg && param == "authentication") TaAuthentication(obj, num);
                else Attrs(obj)[param] = num;
                return;
            }
        }
    }

    static bool AttributeAccepted(K kind, string param, long v)
    {
        static bool Flag(long x) => x is 0 or 1;
        if (kind == K.Tpg)
            return param switch
            {
                "authentication" or "generate_node_acls" or "cache_dynamic_acls" or "demo_mode_write_protect" or "prod_mode_write_protect"
                    or "demo_mode_discovery" or "t10_pi" or "tpg_enabled_sendtargets" or "login_keys_workaround" => Flag(v),
                "default_erl" => v is >= 0 and <= 2,
                "login_timeout" => v is >= 1 and <= 30,
                "netif_timeout" => v is >= 2 and <= 15,
                "default_cmdsn_depth" => v is >= 1 and <= 512,
                "fabric_prot_type" => v is 0 or 1 or 3,
                _ => v >= 0,
            };
        if (kind == K.Acl)
            return param switch
            {
                "authentication" => v is -1 or 0 or 1,
                "random_datain_pdu_offsets" or "random_datain_seq_offsets" or "random_r2t_offsets" => Flag(v),
                "default_erl" => v is >= 0 and <= 2,
                _ => v >= 0,
            };
        return param.StartsWith("emulate_", StringComparison.Ordinal) || param == "is_nonrot" || param == "enforce_pr_isids" || param == "force_pr_aptpl"
            ? Flag(v)
            : param == "block_size" ? v is 512 or 1024 or 2048 or 4096 : v >= 0;
    }

    static bool ParameterAccepted(string param, string value)
    {
        switch (param)
        {
            case "AuthMethod":
                var items = value.Split(',');
                return items.All(i => i is "CHAP" or "None" or "KRB5" or "SPKM1" or "SPKM2" or "SRP");
            case "HeaderDigest":
            case "DataDigest":
                return value.Split(',').All(i => i is "CRC32C" or "None");
            case "ImmediateData":
            case "DataPDUInOrder":
            case "DataSequenceInOrder":
            case "InitialR2T":
            case "IFMarker":
            case "OFMarker":
                return value is "Yes" or "No";
            case "TargetAlias":
            case "IFMarkInt":
            case "OFMarkInt":
                return value.Length < 256;
            default:
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _);
        }
    }

    // ================= info =================

    void InfoCommand(Node n)
    {
        JsonObject? obj = n.Kind switch
        {
            K.So or K.Tpg or K.Acl or K.Lun => RtsNode(n),
            _ => null,
        };
        if (obj is null) { Info($"{n.Path}"); return; }
        foreach (var kv in obj.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (kv.Key is "attributes" or "parameters" || kv.Value is JsonObject or JsonArray) continue;
            var text = kv.Value is JsonValue v && v.TryGetValue<bool>(out var b) ? (b ? "True" : "False") : kv.Value?.ToString() ?? "None";
            Info($"{kv.Key}: {text}");
        }
    }
}
