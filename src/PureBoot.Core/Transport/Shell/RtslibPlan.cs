using System.Text.Json;
using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Core.Model;

namespace PureBoot.Core.Transport.Shell;

/// <summary>The plan as rtslib_apply.py reads it (one JSON object on stdin), and its answer read back.</summary>
internal static class RtslibPlan
{
    public static string Serialize(string saveFile, IReadOnlyList<LioChange> changes)
    {
        var ops = new JsonArray();
        foreach (var c in changes)
            foreach (var op in Ops(c)) ops.Add(op);
        var doc = new JsonObject { ["save_file"] = saveFile, ["changes"] = ops };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }

    /// <summary>How many python operations a change becomes (a target and its portal are two).</summary>
    static IEnumerable<JsonObject> Ops(LioChange change)
    {
        switch (change)
        {
            case CreateStorageObject c: yield return Op("create_storage_object", ("plugin", c.Plugin), ("name", c.Name), ("dev", c.Dev)); break;
            case DeleteStorageObject c: yield return Op("delete_storage_object", ("plugin", c.Plugin), ("name", c.Name)); break;
            case CreateTarget c:
                yield return Op("create_target", ("wwn", c.Wwn));
                yield return Op("create_portal", ("target", c.Wwn), ("ip", c.PortalAddress), ("port", c.PortalPort));
                break;
            case DeleteTarget c: yield return Op("delete_target", ("wwn", c.Wwn)); break;
            case SetTpgAttributes c:
                var attrs = new JsonObject();
                foreach (var a in c.Attributes) attrs[a.Key] = a.Value;
                yield return Op("set_tpg_attributes", ("target", c.Target), ("attributes", attrs));
                break;
            case CreatePortal c: yield return Op("create_portal", ("target", c.Target), ("ip", c.Address), ("port", c.Port)); break;
            case DeletePortal c: yield return Op("delete_portal", ("target", c.Target), ("ip", c.Address), ("port", c.Port)); break;
            case CreateLun c: yield return Op("create_lun", ("target", c.Target), ("index", c.Index), ("plugin", c.Plugin), ("storage_object", c.StorageObject)); break;
            case DeleteLun c: yield return Op("delete_lun", ("target", c.Target), ("index", c.Index)); break;
            case CreateNodeAcl c: yield return Op("create_node_acl", ("target", c.Target), ("initiator", c.Initiator)); break;
            case DeleteNodeAcl c: yield return Op("delete_node_acl", ("target", c.Target), ("initiator", c.Initiator)); break;
            case SetNodeAclAuthentication c:
                yield return Op("set_node_acl_attributes", ("target", c.Target), ("initiator", c.Initiator), ("attributes", new JsonObject { ["authentication"] = c.Required ? "1" : "0" }));
                break;
            case SetNodeAclChap c:
                yield return Op("set_node_acl_auth", ("target", c.Target), ("initiator", c.Initiator), ("userid", c.Chap.User), ("password", c.Chap.Secret),
                    ("mutual_userid", c.Chap.MutualUser), ("mutual_password", c.Chap.MutualSecret));
                break;
            case CreateMappedLun c:
                yield return Op("create_mapped_lun", ("target", c.Target), ("initiator", c.Initiator), ("index", c.Index), ("tpg_lun", c.TpgLun), ("write_protect", c.WriteProtect));
                break;
            case DeleteMappedLun c: yield return Op("delete_mapped_lun", ("target", c.Target), ("initiator", c.Initiator), ("index", c.Index)); break;
            default: throw new ArgumentException($"rtslib has no operation for {change.GetType().Name}");
        }
    }

    static JsonObject Op(string op, params (string Key, object? Value)[] fields)
    {
        var o = new JsonObject { ["op"] = op };
        foreach (var (k, v) in fields)
            o[k] = v switch { null => null, JsonNode n => n, string s => s, int i => i, bool b => b, _ => throw new ArgumentException(k) };
        return o;
    }

    /// <summary>One result per python operation, folded back onto the changes they came from.</summary>
    public static LioApplyResult ReadResult(IReadOnlyList<LioChange> changes, JsonObject answer, LioConfig saved, TimeSpan elapsed, string stderr)
    {
        var results = (answer["results"] as JsonArray)?.OfType<JsonObject>().ToList() ?? new List<JsonObject>();
        var list = new List<LioChangeResult>();
        int i = 0;
        foreach (var c in changes)
        {
            bool ok = true; var messages = new List<string>();
            foreach (var _ in Ops(c))
            {
                var r = i < results.Count ? results[i] : null;
                i++;
                if (r is null) { ok = false; messages.Add("no result came back for this change"); continue; }
                if (r["ok"]?.GetValue<bool>() == true) continue;
                ok = false;
                messages.Add(r["error"]?.GetValue<string>() ?? "failed");
            }
            list.Add(new LioChangeResult(c, ok, Redaction.RedactText(string.Join("\n", messages))));
        }
        var saveError = answer["saved"]?.GetValue<bool>() == false ? answer["save_error"]?.GetValue<string>() ?? "the configuration was not saved" : null;
        return new LioApplyResult
        {
            Changes = list,
            Saved = saved,
            Executor = LioExecutorKind.Rtslib,
            Elapsed = elapsed,
            OtherOutput = string.Join("\n", new[] { saveError is null ? null : "save: " + Redaction.RedactText(saveError), stderr.Length > 0 ? stderr : null }.Where(x => x is not null)),
        };
    }
}
