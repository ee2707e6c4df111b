using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PureBoot.Simulation;

/// <summary>What one simulated targetcli process printed.</summary>
public sealed class TargetcliRunResult
{
    public required string Stdout { get; init; }
    public required string Stderr { get; init; }
    /// <summary>stdout and stderr in true order, as with PYTHONUNBUFFERED=1 and 2&gt;&amp;1.</summary>
    public required string Merged { get; init; }
    public int ExitCode { get; init; }
    /// <summary>What the last <c>saveconfig</c> of this run wrote to the default save file (null: none ran).</summary>
    public string? SavedDocument { get; init; }
}

/// <summary>
/// An in-process model of targetcli-fb 2.1.53 (with rtslib-fb 2.1.75 and configshell-fb 1.1.28 on kernel 6.1) fed
/// command lines on standard input. It mutates <see cref="SimulatedHostState.Live"/> (configfs) and writes
/// <see cref="SimulatedHostState.Saved"/> on <c>saveconfig</c>. Its messages are those of the real sources: a
/// failed line writes one line to stderr and the run goes on; the exit status is 0.
/// </summary>
public sealed partial class TargetcliSimulator
{
    readonly SimulatedHostState _s;
    StringBuilder _out = new(), _err = new(), _merged = new();
    string _cwd = "/";
    bool _exit;
    string? _savedThisRun;

    /// <summary>Source of WWNs and aliases (tests may make it deterministic).</summary>
    public Func<Guid> NewGuid { get; set; } = Guid.NewGuid;

    public TargetcliSimulator(SimulatedHostState state) => _s = state ?? throw new ArgumentNullException(nameof(state));

    public SimulatedHostState State => _s;

    /// <summary>One interactive targetcli start reading these lines on stdin (as <c>targetcli &lt; script</c>).</summary>
    public TargetcliRunResult Run(IReadOnlyList<string> lines)
    {
        Reset();
        _s.TargetcliStarts++;
        int exitCode = 0;
        PrefsFileCheck();
        if (!_s.DbusRunning) return DbusFailure();
        Display("targetcli shell version " + LioDefaults.TargetcliVersion + "\n"
                + "Copyright 2011-2013 by Datera, Inc and others.\n"
                + "For help on commands, type 'help'.\n");
        int next = 0;
        try
        {
            while (!_exit)
            {
                Out(Prompt());
                string cmdline;
                if (next < lines.Count) cmdline = PyStrip(lines[next++]);
                else { Out("exit\n"); cmdline = "exit"; }
                var fault = cmdline.Length > 0 ? _s.TakeFault(cmdline) : null;
                if (fault is not null) { Err(fault.Message + "\n"); continue; }
                try { RunCmdline(cmdline); }
                catch (TcError e) { Error(e.Message); }
            }
            if (PrefBool("auto_save_on_exit"))
            {
                Info("Global pref auto_save_on_exit=true");
                SaveConfig(null);
            }
        }
        catch (TcCrash c)
        {
            Err("Traceback (most recent call last):\n  File \"/usr/bin/targetcli\", line 329, in <module>\n    main()\n"
                + c.PythonType + ": " + c.Message + "\n");
            exitCode = 1;
        }
        return Result(exitCode);
    }

    /// <summary>One non-interactive start with the command on the command line (<c>targetcli sessions detail</c>).</summary>
    public TargetcliRunResult RunCommandLine(string commandLine)
    {
        Reset();
        _s.TargetcliStarts++;
        int exitCode = 0;
        PrefsFileCheck();
        if (!_s.DbusRunning) return DbusFailure();
        try { RunCmdline(PyStrip(commandLine)); }
        catch (TcError e) { Err(e.Message + "\n"); exitCode = 1; }
        catch (TcCrash c) { Err(c.Message + "\n"); exitCode = 1; }
        return Result(exitCode);
    }

    /// <summary>UIRoot.refresh() fails probing tcmu-runner over D-Bus; targetcli prints the error and exits -1 (255).</summary>
    TargetcliRunResult DbusFailure()
    {
        Display("g-io-error-quark: Could not connect: No such file or directory (39)");
        return Result(255);
    }

    /// <summary>configshell loads ~/.targetcli/prefs.bin before its console is set up, so the warning is uncoloured.</summary>
    void PrefsFileCheck()
    {
        if (_s.TargetcliPrefsFileExists) return;
        Out("Warning: Could not load preferences file /root/.targetcli/prefs.bin.\n");
        _s.TargetcliPrefsFileExists = true;
    }

    void Reset()
    {
        _out = new(); _err = new(); _merged = new();
        _cwd = "/"; _exit = false; _savedThisRun = null;
    }

    TargetcliRunResult Result(int exitCode) => new()
    {
        Stdout = _out.ToString(), Stderr = _err.ToString(), Merged = _merged.ToString(),
        ExitCode = exitCode, SavedDocument = _savedThisRun,
    };

    static string PyStrip(string s) => s.Trim(' ', '\t', '\n', '\r', '\v', '\f');

    // ================= output =================

    static readonly string[] LogLevels = { "critical", "error", "warning", "info", "verbose", "debug" };

    void Out(string s) { _out.Append(s); _merged.Append(s); }
    void Err(string s) { _err.Append(s); _merged.Append(s); }
    void Display(string text) => Out(text + "\n");

    void Log(string level, string msg)
    {
        var console = PrefString("loglevel_console") ?? "info";
        var ci = Array.IndexOf(LogLevels, console);
        if (ci < 0) ci = 3;
        var li = Array.IndexOf(LogLevels, level);
        if (ci < li) return;
        if (!PrefBool("color_mode")) msg = char.ToUpperInvariant(level[0]) + level[1..] + ": " + msg;
        if (li <= 1) Err(msg + "\n"); else Out(msg + "\n");
    }

    void Info(string msg) => Log("info", msg);
    void Warning(string msg) => Log("warning", msg);
    void Error(string msg) => Log("error", msg);

    string Prompt()
    {
        var path = _cwd;
        var len = PrefNumber("prompt_length") ?? 0;
        if (len > 0 && len < path.Length)
        {
            var half = (int)((len - 3) / 2);
            path = path[..half] + "..." + path[^half..];
        }
        return path + "> ";
    }

    /// <summary>configshell's ExecutionError or rtslib's RTSLibError: printed as one error line.</summary>
    sealed class TcError : Exception { public TcError(string m) : base(m) { } }

    /// <summary>A Python exception targetcli does not catch: it dies with a traceback (exit 1).</summary>
    sealed class TcCrash : Exception
    {
        public string PythonType { get; }
        public TcCrash(string type, string m) : base(m) { PythonType = type; }
    }

    // ================= preferences (set global) =================

    static readonly Dictionary<string, (string Type, JsonNode? Default)> GlobalParams = new(StringComparer.Ordinal)
    {
        ["tree_round_nodes"] = ("bool", true),
        ["tree_status_mode"] = ("bool", true),
        ["tree_max_depth"] = ("number", 0),
        ["tree_show_root"] = ("bool", true),
        ["color_mode"] = ("bool", true),
        ["loglevel_console"] = ("loglevel", "info"),
        ["loglevel_file"] = ("loglevel", "debug9"),
        ["logfile"] = ("string", null),
        ["color_default"] = ("colordefault", null),
        ["color_path"] = ("color", "magenta"),
        ["color_command"] = ("color", "cyan"),
        ["color_parameter"] = ("color", "magenta"),
        ["color_keyword"] = ("color", "cyan"),
        ["prompt_length"] = ("number", 30),
        ["export_backstore_name_as_model"] = ("bool", true),
        ["auto_enable_tpgt"] = ("bool", true),
        ["auto_add_mapped_luns"] = ("bool", true),
        ["auto_cd_after_create"] = ("bool", false),
        ["auto_save_on_exit"] = ("bool", true),
        ["auto_add_default_portal"] = ("bool", true),
        ["max_backup_files"] = ("string", "10"),
        ["auto_use_daemon"] = ("bool", false),
        ["daemon_use_batch_mode"] = ("bool", false),
    };

    static readonly string[] Colors = { "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white" };

    JsonNode? Pref(string name) =>
        _s.TargetcliPrefs.TryGetValue(name, out var v) ? v : GlobalParams.TryGetValue(name, out var d) ? d.Default : null;

    bool PrefBool(string name) => Pref(name) is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    string? PrefString(string name) => Pref(name) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    long? PrefNumber(string name) => Pref(name) is JsonValue v ? (v.TryGetValue<long>(out var l) ? l : v.TryGetValue<int>(out var i) ? i : null) : null;

    // ================= command line parsing (configshell's pyparsing grammar) =================

    const string VarChars = "?;&*$!#,=_\\+/.<>()~@:-%[]";
    static bool IsAlnum(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9';
    static bool IsVar(char c) => IsAlnum(c) || VarChars.Contains(c);
    static bool IsKeyword(char c) => IsAlnum(c) || c == '_' || c == '-';
    static bool IsCommand(char c) => IsAlnum(c) || c == '_';
    static bool IsWs(char c) => c is ' ' or '\t' or '\n' or '\r';

    static readonly Regex PathStd = new(@"\G([A-Za-z0-9:_.\[\]]|-)*/([A-Za-z0-9:_.\[\]/]|-)*", RegexOptions.CultureInvariant);
    static readonly Regex Bookmark = new(@"\G@([A-Za-z0-9:_.]|-)+", RegexOptions.CultureInvariant);

    internal sealed record ParsedLine(string Path, string Command, List<string> Pparams, List<KeyValuePair<string, string>> Kparams);

    /// <summary>
    /// configshell's grammar: [PATH] [COMMAND] [PARAM]... where a PARAM is keyword=value or a word; parsing stops
    /// silently at the first character no rule accepts (the rest of the line is ignored).
    /// </summary>
    internal static ParsedLine Parse(string line)
    {
        int pos = 0;
        void SkipWs() { while (pos < line.Length && IsWs(line[pos])) pos++; }
        string path = "", command = "";
        var pp = new List<string>();
        var kp = new List<KeyValuePair<string, string>>();

        SkipWs();
        Match m;
        if ((m = Bookmark.Match(line, pos)).Success && m.Index == pos) { path = m.Value; pos += m.Length; }
        else if ((m = PathStd.Match(line, pos)).Success && m.Index == pos) { path = m.Value; pos += m.Length; }
        else if (string.CompareOrdinal(line, pos, "..", 0, 2) == 0) { path = ".."; pos += 2; }
        else if (pos < line.Length && line[pos] == '.') { path = "."; pos += 1; }
        else if (pos < line.Length && line[pos] == '*') { path = "*"; pos += 1; }

        SkipWs();
        int start = pos;
        while (pos < line.Length && IsCommand(line[pos])) pos++;
        command = line[start..pos];

        while (true)
        {
            SkipWs();
            if (pos >= line.Length) break;
            // kparam: keyword, '=', optional value (each element may be preceded by whitespace)
            int k = pos;
            while (k < line.Length && IsKeyword(line[k])) k++;
            if (k > pos)
            {
                int e = k;
                while (e < line.Length && IsWs(line[e])) e++;
                if (e < line.Length && line[e] == '=')
                {
                    var key = line[pos..k];
                    e++;
                    int v = e;
                    while (v < line.Length && IsWs(line[v])) v++;
                    int ve = v;
                    while (ve < line.Length && IsVar(line[ve])) ve++;
                    string value;
                    if (ve > v) { value = line[v..ve]; pos = ve; }
                    else { value = ""; pos = e; }
                    var idx = kp.FindIndex(x => x.Key == key);
                    if (idx >= 0) kp[idx] = new(key, value); else kp.Add(new(key, value));
                    continue;
                }
            }
            int p = pos;
            while (p < line.Length && IsVar(line[p])) p++;
            if (p == pos) break;
            pp.Add(line[pos..p]);
            pos = p;
        }
        return new ParsedLine(path, command, pp, kp);
    }

    // ================= the node tree =================

    internal enum K { Root, Backstores, Backstore, So, Alua, AluaTpg, Fabric, Target, Tpg, Luns, Lun, Acls, Acl, MappedLun, Portals, Portal }

    internal sealed record Node(K Kind, string Path, string Name)
    {
        public string Plugin { get; init; } = "";
        public string SoName { get; init; } = "";
        public string Wwn { get; init; } = "";
        public int Tag { get; init; }
        public int Index { get; init; }
        public string AclWwn { get; init; } = "";
        public string PortalIp { get; init; } = "";
        public int PortalPort { get; init; }
        public string ParentPath => Path == "/" ? "/" : SimulatedHostState.ParentOf(Path);
    }

    static readonly Node RootNode = new(K.Root, "/", "/");
    static readonly string[] Plugins = { "block", "fileio", "pscsi", "ramdisk" };
    static readonly string[] Fabrics = { "iscsi", "loopback", "vhost", "xen-pvscsi" };

    static string Child(Node parent, string name) => parent.Path == "/" ? "/" + name : parent.Path + "/" + name;

    IEnumerable<Node> Children(Node n)
    {
        switch (n.Kind)
        {
            case K.Root:
                yield return new Node(K.Backstores, "/backstores", "backstores");
                foreach (var f in Fabrics) yield return new Node(K.Fabric, "/" + f, f);
                break;
            case K.Backstores:
                foreach (var p in Plugins) yield return new Node(K.Backstore, "/backstores/" + p, p) { Plugin = p };
                break;
            case K.Backstore:
                foreach (var so in StorageObjects().Where(o => Str(o, "plugin") == n.Plugin))
                    yield return new Node(K.So, Child(n, Str(so, "name")), Str(so, "name")) { Plugin = n.Plugin, SoName = Str(so, "name") };
                break;
            case K.So:
                yield return new Node(K.Alua, Child(n, "alua"), "alua") { Plugin = n.Plugin, SoName = n.SoName };
                break;
            case K.Alua:
                var sobj = FindSo(n.Plugin, n.SoName);
                if (sobj is not null)
                    foreach (var a in Arr(sobj, "alua_tpgs").OfType<JsonObject>())
                        yield return new Node(K.AluaTpg, Child(n, Str(a, "name")), Str(a, "name")) { Plugin = n.Plugin, SoName = n.SoName };
                break;
            case K.Fabric:
                if (n.Name == "iscsi")
                    foreach (var t in Targets())
                        yield return new Node(K.Target, Child(n, Str(t, "wwn")), Str(t, "wwn")) { Wwn = Str(t, "wwn") };
                break;
            case K.Target:
                var tt = FindTarget(n.Wwn);
                if (tt is not null)
                    foreach (var tpg in Arr(tt, "tpgs").OfType<JsonObject>())
                        yield return new Node(K.Tpg, Child(n, "tpg" + Int(tpg, "tag")), "tpg" + Int(tpg, "tag")) { Wwn = n.Wwn, Tag = Int(tpg, "tag") };
                break;
            case K.Tpg:
                yield return new Node(K.Acls, Child(n, "acls"), "acls") { Wwn = n.Wwn, Tag = n.Tag };
                yield return new Node(K.Luns, Child(n, "luns"), "luns") { Wwn = n.Wwn, Tag = n.Tag };
                yield return new Node(K.Portals, Child(n, "portals"), "portals") { Wwn = n.Wwn, Tag = n.Tag };
                break;
            case K.Luns:
                foreach (var l in Luns(n.Wwn, n.Tag))
                    yield return new Node(K.Lun, Child(n, "lun" + Int(l, "index")), "lun" + Int(l, "index")) { Wwn = n.Wwn, Tag = n.Tag, Index = Int(l, "index") };
                break;
            case K.Acls:
                foreach (var a in Acls(n.Wwn, n.Tag))
                    yield return new Node(K.Acl, Child(n, Str(a, "node_wwn")), Str(a, "node_wwn")) { Wwn = n.Wwn, Tag = n.Tag, AclWwn = Str(a, "node_wwn") };
                break;
            case K.Acl:
                var acl = FindAcl(n.Wwn, n.Tag, n.AclWwn);
                if (acl is not null)
                    foreach (var ml in Arr(acl, "mapped_luns").OfType<JsonObject>())
                        yield return new Node(K.MappedLun, Child(n, "mapped_lun" + Int(ml, "index")), "mapped_lun" + Int(ml, "index"))
                        { Wwn = n.Wwn, Tag = n.Tag, AclWwn = n.AclWwn, Index = Int(ml, "index") };
                break;
            case K.Portals:
                foreach (var p in Portals(n.Wwn, n.Tag))
                {
                    var name = Str(p, "ip_address") + ":" + Int(p, "port");
                    yield return new Node(K.Portal, Child(n, name), name) { Wwn = n.Wwn, Tag = n.Tag, PortalIp = Str(p, "ip_address"), PortalPort = Int(p, "port") };
                }
                break;
        }
    }

    Node GetChild(Node n, string name)
    {
        foreach (var c in Children(n)) if (c.Name == name) return c;
        throw new ValueErr($"No such path {n.Path.TrimEnd('/')}/{name}");
    }

    sealed class ValueErr : Exception { public ValueErr(string m) : base(m) { } }

    Node ParentNode(Node n) => n.Kind == K.Root ? n : NodeAt(n.ParentPath);

    Node NodeAt(string absPath) => GetNode(RootNode, absPath);

    /// <summary>configshell's ConfigNode.get_node (raises ValueErr: "No such path ...").</summary>
    Node GetNode(Node from, string? path)
    {
        if (string.IsNullOrEmpty(path)) path = ".";
        if (path.StartsWith('@'))
            throw new ValueErr($"No such bookmark {path.TrimStart('@').Trim()}");
        path = Regex.Replace(path, "/+", "/");
        if (path.Length > 1) path = path.TrimEnd('/');
        if (path.StartsWith('/'))
        {
            var rest = path.TrimStart('/');
            return rest.Length > 0 ? GetNode(RootNode, rest) : RootNode;
        }
        var slash = path.IndexOf('/');
        if (slash >= 0) return GetNode(Adjacent(from, path[..slash]), path[(slash + 1)..]);
        return Adjacent(from, path);
    }

    Node Adjacent(Node n, string name) => name switch
    {
        "." => n,
        ".." => ParentNode(n),
        _ => GetChild(n, name),
    };

    Node Current => NodeAt(_cwd);

    // ================= running a command line =================

    void RunCmdline(string cmdline)
    {
        if (cmdline.Length == 0) return;
        var p = Parse(cmdline);
        var path = p.Path;
        var command = p.Command;
        var pp = p.Pparams;
        if (path.EndsWith('*')) path = path.TrimEnd('*');
        if (path.Length == 0) path = ".";
        if (command.Length == 0) { command = "cd"; pp = new List<string> { "." }; }
        Node target;
        try { target = GetNode(Current, path); }
        catch (ValueErr e) { throw new TcError(e.Message); }
        var result = Execute(target, command, pp, p.Kparams);
        if (result is Node n) _cwd = n.Path;
    }

    internal sealed record Sig(string[] Args, int Defaults, bool VarArgs = false, bool VarKw = false);

    static readonly string[] CommonCommands = { "bookmarks", "cd", "exit", "get", "help", "ls", "pwd", "refresh", "set", "status" };

    static IEnumerable<string> KindCommands(Node n) => n.Kind switch
    {
        K.Root => new[] { "clearconfig", "restoreconfig", "saveconfig", "sessions", "version" },
        K.Backstore => new[] { "create", "delete" },
        K.So => new[] { "info", "saveconfig", "version" },
        K.Alua => new[] { "create", "delete" },
        K.Fabric => new[] { "create", "delete", "info", "version" },
        K.Target => new[] { "create", "delete", "info" },
        K.Tpg => new[] { "disable", "enable", "info" },
        K.Luns => new[] { "create", "delete" },
        K.Lun => new[] { "info" },
        K.Acls => new[] { "create", "delete", "tag", "untag" },
        K.Acl => new[] { "create", "delete", "info", "tag" },
        K.MappedLun => new[] { "info" },
        K.Portals => new[] { "create", "delete" },
        K.Portal => new[] { "enable_iser", "enable_offload", "info" },
        _ => Array.Empty<string>(),
    };

    Sig Signature(Node n, string command) => (n.Kind, command) switch
    {
        (_, "cd") => new(new[] { "path" }, 1),
        (_, "ls") => new(new[] { "path", "depth" }, 2),
        (_, "exit") or (_, "pwd") or (_, "refresh") or (_, "status") => new(Array.Empty<string>(), 0),
        (_, "set") => new(new[] { "group" }, 1, VarKw: true),
        (_, "get") => new(new[] { "group" }, 1, VarArgs: true),
        (_, "help") => new(new[] { "topic" }, 1),
        (_, "bookmarks") => new(new[] { "action", "bookmark" }, 1),
        (K.Root, "saveconfig") => new(new[] { "savefile" }, 1),
        (K.Root, "restoreconfig") => new(new[] { "savefile", "clear_existing", "target", "storage_object" }, 4),
        (K.Root, "clearconfig") => new(new[] { "confirm" }, 1),
        (K.Root, "sessions") => new(new[] { "action", "sid" }, 2),
        (K.So, "saveconfig") => new(new[] { "savefile" }, 1),
        (_, "version") or (_, "info") or (_, "enable") or (_, "disable") => new(Array.Empty<string>(), 0),
        (K.Backstore, "create") => n.Plugin switch
        {
            "fileio" => new(new[] { "name", "file_or_dev", "size", "write_back", "sparse", "wwn" }, 4),
            "block" => new(new[] { "name", "dev", "readonly", "wwn" }, 2),
            "ramdisk" => new(new[] { "name", "size", "nullio", "wwn" }, 2),
            _ => new(new[] { "name", "dev" }, 0),
        },
        (K.Backstore, "delete") => new(new[] { "name", "save" }, 1),
        (K.Alua, "create") => new(new[] { "name", "tag" }, 0),
        (K.Alua, "delete") => new(new[] { "name" }, 0),
        (K.Fabric, "create") => new(new[] { "wwn" }, 1),
        (K.Fabric, "delete") => new(new[] { "wwn" }, 0),
        (K.Target, "create") => new(new[] { "tag" }, 1),
        (K.Target, "delete") => new(new[] { "tag" }, 0),
        (K.Luns, "create") => new(new[] { "storage_object", "lun", "add_mapped_luns" }, 2),
        (K.Luns, "delete") => new(new[] { "lun" }, 0),
        (K.Acls, "create") => new(new[] { "wwn", "add_mapped_luns" }, 1),
        (K.Acls, "delete") => new(new[] { "wwn" }, 0),
        (K.Acls, "tag") => new(new[] { "wwn_or_tag", "new_tag" }, 0),
        (K.Acls, "untag") => new(new[] { "wwn_or_tag" }, 0),
        (K.Acl, "create") => new(new[] { "mapped_lun", "tpg_lun_or_backstore", "write_protect" }, 1),
        (K.Acl, "delete") => new(new[] { "mapped_lun" }, 0),
        (K.Acl, "tag") => new(new[] { "new_tag" }, 0),
        (K.Portals, "create") => new(new[] { "ip_address", "ip_port" }, 2),
        (K.Portals, "delete") => new(new[] { "ip_address", "ip_port" }, 0),
        (K.Portal, "enable_iser") or (K.Portal, "enable_offload") => new(new[] { "boolean" }, 0),
        _ => new(Array.Empty<string>(), 0),
    };

    /// <summary>configshell's assert_params and Python's call binding.</summary>
    static (Dictionary<string, string?> Args, List<KeyValuePair<string, string>> ExtraKw, List<string> ExtraPos) Bind(
        Sig sig, List<string> pp, List<KeyValuePair<string, string>> kp)
    {
        var args = sig.Args;
        int nbOpt = sig.Defaults, nbMax = args.Length, nbMin = nbMax - nbOpt;
        var opt = args.Skip(nbMin).ToHashSet();
        var kset = kp.Select(x => x.Key).ToHashSet();
        var unexpected = kset.Except(args).OrderBy(x => x, StringComparer.Ordinal).ToList();
        var missing = args.Skip(pp.Count).Where(a => !opt.Contains(a) && !kset.Contains(a)).OrderBy(x => x, StringComparer.Ordinal).ToList();
        int nbStandard = pp.Count + kp.Count(x => args.Contains(x.Key));
        if (missing.Count == 1) throw new TcError($"Missing required parameter {missing[0]}");
        if (missing.Count > 1) throw new TcError("Missing required parameters " + string.Join(", ", missing.Select(m => $"'{m}'")));
        if (!sig.VarKw)
        {
            if (unexpected.Count == 1) throw new TcError($"Unexpected keyword parameter '{unexpected[0]}'.");
            if (unexpected.Count > 1) throw new TcError("Unexpected keyword parameters " + string.Join(", ", unexpected.Select(m => $"'{m}'")) + ".");
        }
        var all = args.Take(pp.Count).Concat(kp.Select(x => x.Key)).ToList();
        foreach (var a in all)
            if (all.Count(x => x == a) > 1) throw new TcError($"Duplicate parameter {a}.");
        if (nbOpt == 0 && nbStandard != nbMin && !sig.VarArgs)
            throw new TcError($"Got {nbStandard} positionnal parameters, expected exactly {nbMin}.");
        if (nbStandard > nbMax && !sig.VarArgs)
            throw new TcError($"Got {nbStandard} positionnal parameters, expected at most {nbMax}.");

        var bound = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var a in args) bound[a] = null;
        for (int i = 0; i < pp.Count && i < args.Length; i++) bound[args[i]] = pp[i];
        var extraKw = new List<KeyValuePair<string, string>>();
        foreach (var (k, v) in kp)
            if (bound.ContainsKey(k)) bound[k] = v; else extraKw.Add(new(k, v));
        var extraPos = pp.Skip(args.Length).ToList();
        return (bound, extraKw, extraPos);
    }

    object? Execute(Node n, string command, List<string> pp, List<KeyValuePair<string, string>> kp)
    {
        if (!CommonCommands.Contains(command) && !KindCommands(n).Contains(command))
            throw new TcError($"Command not found {command}");
        var (a, extraKw, extraPos) = Bind(Signature(n, command), pp, kp);
        switch (command)
        {
            case "exit": _exit = true; return null;
            case "cd": return Cd(n, a["path"]);
            case "pwd": Display(n.Path); return null;
            case "refresh": return null;
            case "status":
                var (d, _) = Summary(n);
                Info($"Status for {n.Path}: {d}");
                return null;
            case "ls": Ls(n, a["path"], a["depth"]); return null;
            case "set": Set(n, a["group"], extraKw); return null;
            case "get": Get(n, a["group"], extraPos); return null;
            case "help": Display("(help is not simulated)"); return null;
            case "bookmarks": Display("(bookmarks are not simulated)"); return null;
        }
        return (n.Kind, command) switch
        {
            (K.Root, "saveconfig") => SaveConfig(a["savefile"]),
            (K.Root, "sessions") => Sessions(a["action"], a["sid"]),
            (K.Root, "version") => Do(() => Info("targetcli version " + LioDefaults.TargetcliVersion)),
            (K.Root, "clearconfig") => ClearConfig(a["confirm"]),
            (K.Root, "restoreconfig") => RestoreConfig(a["savefile"], a["clear_existing"]),
            (K.Backstore, "create") => n.Plugin switch
            {
                "fileio" => CreateFileio(n, a["name"]!, a["file_or_dev"]!, a["size"], a["write_back"], a["sparse"], a["wwn"]),
                "block" => CreateBlock(n, a["name"]!, a["dev"]!, a["readonly"], a["wwn"]),
                _ => throw new TcError($"{n.Plugin} backstores are not simulated"),
            },
            (K.Backstore, "delete") => DeleteStorageObject(n, a["name"]!),
            (K.Fabric, "create") => n.Name == "iscsi" ? CreateTarget(n, a["wwn"]) : throw new TcError($"The {n.Name} fabric is not simulated"),
            (K.Fabric, "delete") => n.Name == "iscsi" ? DeleteTarget(a["wwn"]!) : throw new TcError($"The {n.Name} fabric is not simulated"),
            (K.Target, "create") => CreateTpg(n.Wwn, a["tag"]),
            (K.Target, "delete") => DeleteTpg(n.Wwn, a["tag"]!),
            (K.Tpg, "enable") => EnableTpg(n, true),
            (K.Tpg, "disable") => EnableTpg(n, false),
            (K.Luns, "create") => CreateLun(n, a["storage_object"]!, a["lun"], a["add_mapped_luns"]),
            (K.Luns, "delete") => DeleteLun(n, a["lun"]!),
            (K.Acls, "create") => CreateAcl(n, a["wwn"]!, a["add_mapped_luns"]),
            (K.Acls, "delete") => DeleteAcl(n, a["wwn"]!),
            (K.Acl, "create") => CreateMappedLun(n, a["mapped_lun"]!, a["tpg_lun_or_backstore"]!, a["write_protect"]),
            (K.Acl, "delete") => DeleteMappedLun(n, a["mapped_lun"]!),
            (K.Portals, "create") => CreatePortal(n, a["ip_address"], a["ip_port"]),
            (K.Portals, "delete") => DeletePortal(n, a["ip_address"]!, a["ip_port"]!),
            (_, "info") => Do(() => InfoCommand(n)),
            (_, "version") => Do(() => Display($"Backstore plugin {n.Plugin} v5.0")),
            _ => throw new TcError($"{command} is not simulated on {n.Path}"),
        };
    }

    static object? Do(Action a) { a(); return null; }

    Node? Cd(Node n, string? path)
    {
        if (path is null) return n;
        try { return GetNode(n, path); }
        catch (ValueErr e) { throw new TcError(e.Message); }
    }

    /// <summary>UINode.new_node: honours auto_cd_after_create.</summary>
    Node? NewNode(string path)
    {
        if (!PrefBool("auto_cd_after_create")) return null;
        Info("Entering new node " + path);
        return NodeAt(path);
    }

    // ================= type helpers (configshell ui_type_*) =================

    static bool TypeBool(string value)
    {
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ArgumentException($"Syntax error, '{value}' is not true|false.");
    }

    static long? TypeNumber(string value)
    {
        if (value.Length == 0) return null;
        if (TryPyInt(value, out var l)) return l;
        throw new ArgumentException($"Syntax error, '{value}' is not a NUMBER.");
    }

    /// <summary>Python's int(str) for the usual cases (surrounding whitespace, a sign, underscores between digits).</summary>
    static bool TryPyInt(string s, out long value)
    {
        s = s.Trim();
        if (s.Contains("__") || s.StartsWith('_') || s.EndsWith('_')) { value = 0; return false; }
        return long.TryParse(s.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    bool EvalBool(string? value, bool dflt)
    {
        if (value is null) return dflt;
        try { return TypeBool(value); }
        catch (ArgumentException e) { throw new TcError(e.Message); }
    }

    long? EvalNumber(string? value, long? dflt)
    {
        if (value is null) return dflt;
        try { return TypeNumber(value); }
        catch (ArgumentException e) { throw new TcError(e.Message); }
    }

    /// <summary>Python's int() in a place targetcli does not guard: a bad value kills targetcli.</summary>
    static long PyIntOrCrash(string s)
    {
        if (TryPyInt(s, out var v)) return v;
        throw new TcCrash("ValueError", $"invalid literal for int() with base 10: '{s}'");
    }

    // ================= JSON access =================

    static JsonArray Arr(JsonObject o, string key) => SimulatedHostState.Arr(o, key);
    static string Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : o[key]?.ToString() ?? "";
    static int Int(JsonObject o, string key) => o[key] is JsonValue v ? (v.TryGetValue<long>(out var l) ? (int)l : v.TryGetValue<int>(out var i) ? i : int.TryParse(v.ToString(), out var p) ? p : 0) : 0;
    static long Long(JsonObject o, string key) => o[key] is JsonValue v ? (v.TryGetValue<long>(out var l) ? l : v.TryGetValue<int>(out var i) ? i : long.TryParse(v.ToString(), out var p) ? p : 0) : 0;
    static bool Bool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    IEnumerable<JsonObject> StorageObjects() => Arr(_s.Live, "storage_objects").OfType<JsonObject>();
    IEnumerable<JsonObject> Targets() => Arr(_s.Live, "targets").OfType<JsonObject>().Where(t => Str(t, "fabric") == "iscsi");
    JsonObject? FindSo(string plugin, string name) => StorageObjects().FirstOrDefault(o => Str(o, "plugin") == plugin && Str(o, "name") == name);
    JsonObject? FindSoByPath(string path) => StorageObjects().FirstOrDefault(o => $"/backstores/{Str(o, "plugin")}/{Str(o, "name")}" == path);
    JsonObject? FindTarget(string wwn) => Targets().FirstOrDefault(t => Str(t, "wwn") == wwn);
    JsonObject? FindTpg(string wwn, int tag) => FindTarget(wwn) is { } t ? Arr(t, "tpgs").OfType<JsonObject>().FirstOrDefault(g => Int(g, "tag") == tag) : null;
    IEnumerable<JsonObject> Luns(string wwn, int tag) => FindTpg(wwn, tag) is { } g ? Arr(g, "luns").OfType<JsonObject>() : Enumerable.Empty<JsonObject>();
    IEnumerable<JsonObject> Acls(string wwn, int tag) => FindTpg(wwn, tag) is { } g ? Arr(g, "node_acls").OfType<JsonObject>() : Enumerable.Empty<JsonObject>();
    IEnumerable<JsonObject> Portals(string wwn, int tag) => FindTpg(wwn, tag) is { } g ? Arr(g, "portals").OfType<JsonObject>() : Enumerable.Empty<JsonObject>();
    JsonObject? FindAcl(string wwn, int tag, string node) => Acls(wwn, tag).FirstOrDefault(a => Str(a, "node_wwn") == node);

    static string SoPath(JsonObject so) => $"/backstores/{Str(so, "plugin")}/{Str(so, "name")}";
    static string TargetCfs(string wwn) => $"{LioDefaults.ConfigFs}/iscsi/{wwn}";
    static string TpgCfs(string wwn, int tag) => $"{TargetCfs(wwn)}/tpgt_{tag}";

    string Alias() => NewGuid().ToString()[^10..];

    long SoSize(JsonObject so) => Str(so, "plugin") == "block"
        ? _s.BlockDeviceSize(Str(so, "dev")) ?? 0
        : Long(so, "size");

    // ================= WWNs (rtslib utils.normalize_wwn) =================

    static readonly string[] IscsiWwnTypes = { "iqn", "naa", "eui" };

    internal static string NormalizeIscsiWwn(string wwn)
    {
        foreach (var type in IscsiWwnTypes)
        {
            var clean = wwn.Trim().ToLowerInvariant();
            if (type is "naa" or "eui")
            {
                if (clean.StartsWith("0x", StringComparison.Ordinal)) clean = clean[2..];
                clean = clean.Replace("-", "").Replace(":", "");
                if (!(clean.StartsWith("naa.") || clean.StartsWith("eui.") || clean.StartsWith("ib."))) clean = type + "." + clean;
            }
            bool ok = type switch
            {
                "iqn" => Regex.IsMatch(clean, @"^iqn\.[0-9]{4}-[0-1][0-9]\..*\..*") && !clean.Contains(' ') && !clean.Contains('_'),
                "naa" => Regex.IsMatch(clean, @"^naa\.[125][0-9a-fA-F]{15}$"),
                _ => Regex.IsMatch(clean, @"^eui\.[0-9a-f]{16}$"),
            };
            if (ok) return clean;
        }
        throw new TcError("WWN not valid as: iqn, naa, eui");
    }
}
