using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PureBoot.Simulation;

public sealed partial class TargetcliSimulator
{
    /// <summary>configshell's console width when stdout is not a terminal.</summary>
    const int ConsoleWidth = 132;

    static readonly Dictionary<long, string> AluaStateNames = new()
    {
        [0] = "Active/optimized", [1] = "Active/non-optimized", [2] = "Standby", [3] = "Unavailable",
        [4] = "LBA Dependent", [14] = "Offline", [15] = "Transitioning",
    };

    /// <summary>The text of <c>targetcli ls</c> (the whole tree) for the current state.</summary>
    public string LsText()
    {
        Reset();
        Ls(RootNode, null, null);
        return _out.ToString();
    }

    void Ls(Node n, string? path, string? depth)
    {
        Node target;
        try { target = GetNode(n, path); }
        catch (ValueErr e) { throw new TcError(e.Message); }
        long d;
        if (depth is null) d = PrefNumber("tree_max_depth") ?? 0;
        else if (!TryPyInt(depth, out d)) throw new TcError("The tree depth must be a number.");
        var tree = RenderTree(target, null, d == 0 ? null : d);
        Display(tree);
    }

    static (string, long) SortingKey(Node n)
    {
        var m = Regex.Match(n.Name, @"^(.*?)(\d+)$", RegexOptions.Singleline);
        return m.Success && long.TryParse(m.Groups[2].Value, out var v) ? (m.Groups[1].Value, v) : (n.Name, 0);
    }

    /// <summary>A port of configshell's ConfigNode._render_tree without colours (stdout is not a terminal).</summary>
    string RenderTree(Node root, List<bool>? margin, long? depth)
    {
        bool rootCall = margin is null;
        margin ??= new List<bool> { false };
        var (description, healthy) = Summary(root);
        if (description.Length == 0) description = healthy switch { true => "OK", false => "ERROR", _ => "..." };
        var descriptionLen = description.Length + 3;
        var summary = " [" + description + "]";
        var children = Children(root).ToList();
        children.Sort((a, b) =>
        {
            var (pa, na) = SortingKey(a);
            var (pb, nb) = SortingKey(b);
            var c = string.CompareOrdinal(pa, pb);
            return c != 0 ? c : na.CompareTo(nb);
        });
        var line = new StringBuilder();
        foreach (var pipe in margin.Take(margin.Count - 1)) line.Append(pipe ? "| " : "  ");
        line.Append(PrefBool("tree_round_nodes") ? "o-" : "+-").Append(' ');
        var marginLen = line.Length;
        var name = root.Kind == K.Root ? "/" : root.Name;
        var padLen = ConsoleWidth - 1 - descriptionLen - marginLen - name.Length;
        line.Append(name);
        if (PrefBool("tree_status_mode")) line.Append(' ').Append('.', Math.Max(0, padLen)).Append(summary);

        string tree;
        if (rootCall && !PrefBool("tree_show_root"))
        {
            var sb = new StringBuilder();
            foreach (var c in children) sb.Append(RenderTree(c, new List<bool> { false }, depth));
            tree = sb.ToString();
        }
        else
        {
            var sb = new StringBuilder(line.ToString()).Append('\n');
            if (depth is null || depth > 0)
            {
                var d = depth is null ? (long?)null : depth - 1;
                for (int i = 0; i < children.Count; i++)
                {
                    margin.Add(i < children.Count - 1);
                    sb.Append(RenderTree(children[i], margin, d));
                    margin.RemoveAt(margin.Count - 1);
                }
            }
            tree = sb.ToString();
        }
        return rootCall && tree.Length > 0 ? tree[..^1] : tree;
    }

    /// <summary>Each UI node's summary(): (description, is_healthy).</summary>
    (string Description, bool? Healthy) Summary(Node n)
    {
        switch (n.Kind)
        {
            case K.Backstore:
                return ($"Storage Objects: {Children(n).Count()}", null);
            case K.So:
            {
                var so = FindSo(n.Plugin, n.SoName);
                if (so is null) return ("", null);
                var wb = Bool(so, "write_back") ? "write-back" : "write-thru";
                var size = BytesToHuman(SoSize(so));
                return n.Plugin == "block"
                    ? ($"{Str(so, "dev")} ({size}) {(Bool(so, "readonly") ? "ro " : "")}{wb} activated", true)
                    : ($"{Str(so, "dev")} ({size}) {wb} activated", true);
            }
            case K.Alua:
                return ($"ALUA Groups: {Children(n).Count()}", null);
            case K.AluaTpg:
            {
                var so = FindSo(n.Plugin, n.SoName);
                var a = so is null ? null : Arr(so, "alua_tpgs").OfType<JsonObject>().FirstOrDefault(x => Str(x, "name") == n.Name);
                var state = a is null ? 0 : Long(a, "alua_access_state");
                return ($"ALUA state: {AluaStateNames.GetValueOrDefault(state, state.ToString())}", true);
            }
            case K.Fabric:
                return ($"Targets: {Children(n).Count()}", null);
            case K.Target:
                return ($"TPGs: {Children(n).Count()}", null);
            case K.Tpg:
            {
                var tpg = FindTpg(n.Wwn, n.Tag)!;
                if (!Bool(tpg, "enable")) return ("disabled", false);
                var msg = new List<string>();
                bool? status = null;
                var gna = AttrLong(tpg, "generate_node_acls") != 0;
                msg.Add(gna ? "gen-acls" : "no-gen-acls");
                if (AttrLong(tpg, "authentication") == 0)
                {
                    msg.Add("no-auth");
                    if (gna) status = true;
                }
                else if (!gna) msg.Add("auth per-acl");
                else
                {
                    msg.Add("tpg-auth");
                    status = !string.IsNullOrEmpty(Str(tpg, "chap_password")) && !string.IsNullOrEmpty(Str(tpg, "chap_userid"));
                    msg.Add(!string.IsNullOrEmpty(Str(tpg, "chap_mutual_userid")) && !string.IsNullOrEmpty(Str(tpg, "chap_mutual_password")) ? "mutual auth" : "1-way auth");
                }
                return (string.Join(", ", msg), status);
            }
            case K.Acls:
                return ($"ACLs: {Children(n).Count()}", null);
            case K.Acl:
            {
                var tpg = FindTpg(n.Wwn, n.Tag)!;
                var acl = FindAcl(n.Wwn, n.Tag, n.AclWwn)!;
                var msg = new List<string>();
                bool? status = null;
                if (AttrLong(tpg, "authentication") != 0)
                {
                    if (AttrLong(tpg, "generate_node_acls") != 0) msg.Add("auth via tpg");
                    else
                    {
                        status = !string.IsNullOrEmpty(Str(acl, "chap_password")) && !string.IsNullOrEmpty(Str(acl, "chap_userid"));
                        msg.Add(AclAuthenticatesTarget(acl) ? "mutual auth" : "1-way auth");
                    }
                }
                msg.Add($"Mapped LUNs: {Children(n).Count()}");
                return (string.Join(", ", msg), status);
            }
            case K.MappedLun:
            {
                var acl = FindAcl(n.Wwn, n.Tag, n.AclWwn)!;
                var ml = Arr(acl, "mapped_luns").OfType<JsonObject>().First(m => Int(m, "index") == n.Index);
                var lun = Luns(n.Wwn, n.Tag).FirstOrDefault(l => Int(l, "index") == Int(ml, "tpg_lun"));
                var so = lun is null ? null : FindSoByPath(Str(lun, "storage_object"));
                if (so is null) return ("BROKEN LUN LINK", false);
                return ($"lun{Int(lun!, "index")} {Str(so, "plugin")}/{Str(so, "name")} ({(Bool(ml, "write_protect") ? "ro" : "rw")})", true);
            }
            case K.Luns:
                return ($"LUNs: {Children(n).Count()}", null);
            case K.Lun:
            {
                var lun = Luns(n.Wwn, n.Tag).First(l => Int(l, "index") == n.Index);
                var so = FindSoByPath(Str(lun, "storage_object"));
                if (so is null) return ("BROKEN STORAGE LINK", false);
                var d = $"{Str(so, "plugin")}/{Str(so, "name")}";
                if (Str(so, "dev").Length > 0) d += $" ({Str(so, "dev")})";
                d += $" ({Str(lun, "alua_tg_pt_gp_name")})";
                return (d, true);
            }
            case K.Portals:
                return ($"Portals: {Children(n).Count()}", null);
            case K.Portal:
                return ("", true);
            default:
                return ("", null);
        }
    }
}
