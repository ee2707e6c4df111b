using System.Text.Json.Nodes;
using PureBoot.Core.Lio;

namespace PureBoot.Core.Transport.Shell;

/// <summary>Reads the JSON lio_snapshot.py prints (see that file for its shape).</summary>
internal static class SnapshotJson
{
    public static HostSnapshot Parse(JsonObject obj, IReadOnlyList<StepResult>? probeResults = null)
    {
        var storage = new List<StorageEntry>();
        if (obj["storage"] is JsonArray arr)
            foreach (var e in arr.OfType<JsonObject>())
                storage.Add(new StorageEntry(e["name"]!.GetValue<string>(), e["size"]!.GetValue<long>(), e["allocated"]!.GetValue<long>()));
        return new HostSnapshot
        {
            Live = SaveConfigParser.Parse(obj["live"]?.ToJsonString() ?? "{}"),
            SaveConfigPath = obj["save_file"]?.GetValue<string>(),
            Storage = storage,
            Sessions = Sessions(obj["sessions"] as JsonArray),
            TargetcliVersion = obj["targetcli_version"]?.GetValue<string>(),
            StorageError = obj["storage_error"]?.GetValue<string>(),
            ProbeResults = probeResults ?? Array.Empty<StepResult>(),
        };
    }

    static IReadOnlyList<IscsiSession> Sessions(JsonArray? arr)
    {
        if (arr is null) return Array.Empty<IscsiSession>();
        return arr.OfType<JsonObject>().Select(s => new IscsiSession
        {
            TargetIqn = s["target"]?.GetValue<string>() ?? "",
            InitiatorIqn = s["initiator"]?.GetValue<string>() ?? "",
            Sid = s["sid"] is JsonValue sid && sid.TryGetValue<int>(out var n) ? n : null,
            State = s["state"]?.GetValue<string>() ?? "",
            Authenticated = s["mutual_chap"] is JsonValue m && m.TryGetValue<bool>(out var b) ? b : null,
            Addresses = (s["addresses"] as JsonArray)?.Select(a => a?.GetValue<string>() ?? "").Where(a => a.Length > 0).ToList() ?? new List<string>(),
            Luns = (s["luns"] as JsonArray)?.OfType<JsonObject>()
                .Select(l => new SessionLun(l["mapped_lun"]?.GetValue<int>() ?? -1, l["storage_object"]?.GetValue<string>() ?? "")).ToList() ?? new List<SessionLun>(),
        }).ToList();
    }
}
