using System.Text.Json.Nodes;

namespace PureBoot.Simulation;

/// <summary>
/// What an initiator saw. LoggedIn: the iSCSI login worked. Ok: it also reached the LUN (read its capacity).
/// Error holds libiscsi's text: "Authentication failure(513)", "Authorization failure(514)",
/// "Target not found(515)", "LOGICAL_UNIT_NOT_SUPPORTED", "Connection refused", "Target authentication failed".
/// </summary>
public sealed record SimulatedLoginResult(bool LoggedIn, bool Ok, string? Error, long? CapacityBytes = null, int? Sid = null, string? Content = null, bool ReadOnly = false);

/// <summary>
/// An initiator logging in to a simulated LIO target the way libiscsi's iscsi-readcapacity16 does on a real one
/// (see tests/Unit/Fixtures/targetcli-2.1.53/README.md): the ACL is looked up first (none: authorization
/// failure, unless the TPG generates ACLs), then CHAP runs when the initiator offers it or the target requires
/// it (the ACL's authentication attribute, -1 meaning the TPG's), then the LUN must be mapped to the ACL.
/// </summary>
public static class SimulatedInitiator
{
    public static SimulatedLoginResult Login(
        SimulatedHostState state, string initiatorIqn, string targetIqn, int lun,
        string? chapUser = null, string? chapSecret = null, string? mutualUser = null, string? mutualSecret = null,
        bool recordSession = false, string initiatorAddress = "10.0.2.2", string? portalAddress = null, int portalPort = 3260)
    {
        var targets = Arr(state.Live, "targets").OfType<JsonObject>().Where(t => Str(t, "fabric") == "iscsi").ToList();
        bool Listens(JsonObject tpg) => portalAddress is null || Arr(tpg, "portals").OfType<JsonObject>().Any(p =>
            Int(p, "port") == portalPort && (Str(p, "ip_address") == portalAddress || Str(p, "ip_address").Trim('[', ']') == portalAddress
                                             || Str(p, "ip_address") is "0.0.0.0" or "[::]" or "[::0]"));
        if (portalAddress is not null && !targets.SelectMany(t => Arr(t, "tpgs").OfType<JsonObject>()).Any(Listens))
            return new(false, false, "Connection refused");

        var target = targets.FirstOrDefault(t => Str(t, "wwn") == targetIqn);
        var tpg = target is null ? null : Arr(target, "tpgs").OfType<JsonObject>().FirstOrDefault(g => Bool(g, "enable") && Listens(g));
        if (tpg is null) return new(false, false, "Target not found(515)");

        var acl = Arr(tpg, "node_acls").OfType<JsonObject>().FirstOrDefault(a => Str(a, "node_wwn") == initiatorIqn);
        var dynamic = acl is null;
        if (dynamic && Attr(tpg, "generate_node_acls") != 1) return new(false, false, "Authorization failure(514)");

        long tpgAuth = Attr(tpg, "authentication");
        long aclAuth = acl is null ? -1 : Attr(acl, "authentication");
        bool required = (aclAuth == -1 ? tpgAuth : aclAuth) == 1;
        var authMethods = Str(Obj(tpg, "parameters"), "AuthMethod").Split(',');
        bool offersChap = chapUser is not null || chapSecret is not null;
        var creds = acl ?? tpg;   // a generated (demo-mode) ACL uses the TPG's credentials

        if (offersChap && authMethods.Contains("CHAP"))
        {
            var user = Str(creds, "chap_userid");
            var pass = Str(creds, "chap_password");
            if (user.Length == 0 || pass.Length == 0 || user != (chapUser ?? "") || pass != (chapSecret ?? ""))
                return new(false, false, "Authentication failure(513)");
            if (mutualUser is not null || mutualSecret is not null)
            {
                var mu = Str(creds, "chap_mutual_userid");
                var mp = Str(creds, "chap_mutual_password");
                if (mu.Length == 0 || mp.Length == 0) return new(false, false, "Authentication failure(513)");
                if (mp != (mutualSecret ?? "")) return new(false, false, "Target authentication failed");
            }
        }
        // Seen on kernel 6.1: an ACL's own authentication attribute (0 or 1) overrides the TPG's in both
        // directions, whatever AuthMethod the TPG advertises; -1 inherits the TPG's.
        else if (required)
            return new(false, false, "Authentication failure(513)");

        int? sid = null;
        if (recordSession && !dynamic)
        {
            state.Sessions.RemoveAll(s => s.InitiatorIqn == initiatorIqn && s.TargetIqn == targetIqn && s.Tpg == Int(tpg, "tag"));
            sid = state.NextSessionId++;
            state.Sessions.Add(new SimulatedSession
            {
                InitiatorIqn = initiatorIqn, TargetIqn = targetIqn, Tpg = Int(tpg, "tag"), Sid = sid.Value, Address = initiatorAddress,
            });
        }

        // The LUN the initiator asked for, as this ACL sees it.
        JsonObject? tpgLun;
        bool writeProtect;
        if (dynamic)
        {
            tpgLun = Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Int(l, "index") == lun);
            writeProtect = Attr(tpg, "demo_mode_write_protect") == 1;
        }
        else
        {
            var ml = Arr(acl!, "mapped_luns").OfType<JsonObject>().FirstOrDefault(m => Int(m, "index") == lun);
            tpgLun = ml is null ? null : Arr(tpg, "luns").OfType<JsonObject>().FirstOrDefault(l => Int(l, "index") == Int(ml, "tpg_lun"));
            writeProtect = ml is not null && Bool(ml, "write_protect");
        }
        if (tpgLun is null) return new(true, false, "LOGICAL_UNIT_NOT_SUPPORTED", Sid: sid);
        var soPath = Str(tpgLun, "storage_object");
        var so = Arr(state.Live, "storage_objects").OfType<JsonObject>().FirstOrDefault(o => $"/backstores/{Str(o, "plugin")}/{Str(o, "name")}" == soPath);
        if (so is null) return new(true, false, "LOGICAL_UNIT_NOT_SUPPORTED", Sid: sid);
        var dev = Str(so, "dev");
        long capacity;
        string? content;
        if (state.TryGetLogicalVolume(dev, out var vg, out var lvName))
        {
            var lv = state.VolumeGroups[vg].LogicalVolumes[lvName];
            capacity = lv.SizeBytes;
            content = lv.Content;
        }
        else
        {
            capacity = Long(so, "size");
            content = state.Files.TryGetValue(SimulatedHostState.NormalizePath(dev), out var f) ? f.Content : null;
        }
        var readOnly = writeProtect || Bool(so, "readonly") || Attr(tpg, "prod_mode_write_protect") == 1;
        return new(true, true, null, capacity, sid, content, readOnly);
    }

    /// <summary>Ends the initiator's session on that target, if it has one.</summary>
    public static bool Logout(SimulatedHostState state, string initiatorIqn, string targetIqn) =>
        state.Sessions.RemoveAll(s => s.InitiatorIqn == initiatorIqn && s.TargetIqn == targetIqn) > 0;

    static JsonArray Arr(JsonObject o, string key) => o[key] as JsonArray ?? new JsonArray();
    static JsonObject Obj(JsonObject o, string key) => o[key] as JsonObject ?? new JsonObject();
    static string Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
    static long Long(JsonObject o, string key) => o[key] is JsonValue v && long.TryParse(v.ToString(), out var l) ? l : 0;
    static int Int(JsonObject o, string key) => (int)Long(o, key);
    static bool Bool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    static long Attr(JsonObject o, string name) => Long(Obj(o, "attributes"), name);
}
