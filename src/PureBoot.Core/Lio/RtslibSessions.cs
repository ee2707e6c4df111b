using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PureBoot.Core.Lio;

/// <summary>
/// The "sessions" array rtslib_snapshot.py reads from configfs (each node ACL's <c>info</c> file plus the dump), as
/// <see cref="IscsiSession"/> rows or as the text <c>targetcli sessions detail</c> prints for the same sessions.
/// Shape per session: target, tpg, initiator, dynamic, alias, sid, isid, tsih, type, state, chap_required,
/// authenticate_target, mapped_luns [{index, tpg_lun, storage_object, write_protect}], connections [{cid, state,
/// address, transport}]. A dynamic session (no ACL, generate_node_acls=1) has only target, tpg, initiator, dynamic.
/// </summary>
public static class RtslibSessions
{
    /// <summary>
    /// Authenticated mirrors targetcli's "(authenticated)": the ACL's auth/authenticate_target, which is mutual CHAP,
    /// not whether the initiator logged in with CHAP (chap_required says that).
    /// </summary>
    public static IReadOnlyList<IscsiSession> Parse(JsonNode? sessions) =>
        Items(sessions).Where(s => s["dynamic"]?.GetValue<bool>() != true).Select(s => new IscsiSession
        {
            Sid = s["sid"]?.GetValue<int>() ?? 0,
            InitiatorIqn = s["initiator"]?.GetValue<string>() ?? "",
            State = s["state"]?.GetValue<string>() ?? "",
            Authenticated = s["authenticate_target"]?.GetValue<bool>() ?? false,
            MappedLuns = Items(s["mapped_luns"]).Select(m => (m["index"]!.GetValue<int>(), Backstore(m), m["write_protect"]?.GetValue<bool>() == true ? "r" : "rw")).ToList(),
            Addresses = Items(s["connections"]).Select(c => c["address"]?.GetValue<string>() ?? "").ToList(),
        }).ToList();

    /// <summary>The same sessions in <c>targetcli sessions detail</c>'s layout (2.1.53, run as root).</summary>
    public static string ToTargetcliText(JsonNode? sessions)
    {
        var sb = new StringBuilder();
        foreach (var s in Items(sessions).Where(s => s["dynamic"]?.GetValue<bool>() != true))
        {
            sb.Append(CultureInfo.InvariantCulture, $"alias: {s["alias"]?.GetValue<string>()}\tsid: {s["sid"]} type: {s["type"]?.GetValue<string>()} session-state: {s["state"]?.GetValue<string>()}\n");
            var auth = s["authenticate_target"]?.GetValue<bool>() == true ? " (authenticated)" : " (NOT AUTHENTICATED)";
            sb.Append(CultureInfo.InvariantCulture, $"    name: {s["initiator"]?.GetValue<string>()}{auth}\n");
            foreach (var m in Items(s["mapped_luns"]))
                sb.Append(CultureInfo.InvariantCulture, $"    mapped-lun: {m["index"]} backstore: {Backstore(m)} mode: {(m["write_protect"]?.GetValue<bool>() == true ? "r" : "rw")}\n");
            foreach (var c in Items(s["connections"]))
                sb.Append(CultureInfo.InvariantCulture, $"    address: {c["address"]?.GetValue<string>()} ({c["transport"]?.GetValue<string>()})  cid: {c["cid"]} connection-state: {c["state"]?.GetValue<string>()}\n");
        }
        return sb.Length == 0 ? "(no open sessions)\n" : sb.ToString();
    }

    static IEnumerable<JsonObject> Items(JsonNode? n) => (n as JsonArray)?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>();

    // "/backstores/fileio/web01" -> "fileio/web01", as targetcli prints it
    static string Backstore(JsonObject m)
    {
        var so = m["storage_object"]?.GetValue<string>() ?? "";
        return so.StartsWith("/backstores/", StringComparison.Ordinal) ? so["/backstores/".Length..] : so;
    }
}
