using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PureBoot.Simulation;

/// <summary>
/// Serializes a JSON tree the way rtslib writes saveconfig.json: Python's
/// <c>json.dumps(obj, sort_keys=True, indent=2)</c> (ensure_ascii on, "," item and ": " key separators,
/// empty containers as <c>[]</c>/<c>{}</c>). rtslib adds one "\n" after it; <see cref="Dumps"/> does not.
/// </summary>
public static class PythonJson
{
    public static string Dumps(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node, 0);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, JsonNode? node, int level)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                if (o.Count == 0) { sb.Append("{}"); break; }
                sb.Append("{\n");
                var keys = o.Select(kv => kv.Key).ToList();
                keys.Sort(string.CompareOrdinal);
                for (int i = 0; i < keys.Count; i++)
                {
                    Indent(sb, level + 1);
                    WriteString(sb, keys[i]);
                    sb.Append(": ");
                    Write(sb, o[keys[i]], level + 1);
                    if (i + 1 < keys.Count) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, level);
                sb.Append('}');
                break;
            case JsonArray a:
                if (a.Count == 0) { sb.Append("[]"); break; }
                sb.Append("[\n");
                for (int i = 0; i < a.Count; i++)
                {
                    Indent(sb, level + 1);
                    Write(sb, a[i], level + 1);
                    if (i + 1 < a.Count) sb.Append(',');
                    sb.Append('\n');
                }
                Indent(sb, level);
                sb.Append(']');
                break;
            case JsonValue v:
                WriteValue(sb, v);
                break;
        }
    }

    static void WriteValue(StringBuilder sb, JsonValue v)
    {
        if (v.TryGetValue<string>(out var s)) WriteString(sb, s);
        else if (v.TryGetValue<bool>(out var b)) sb.Append(b ? "true" : "false");
        else if (v.TryGetValue<long>(out var l)) sb.Append(l.ToString(CultureInfo.InvariantCulture));
        else if (v.TryGetValue<int>(out var i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
        else if (v.TryGetValue<double>(out var d)) sb.Append(PythonFloat(d));
        else if (v.TryGetValue<JsonElement>(out var el) && el.ValueKind == JsonValueKind.Null) sb.Append("null");
        else sb.Append(v.ToJsonString());
    }

    static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        if (!r.Contains('.') && !r.Contains('E')) r += ".0";
        return r.Replace("E+", "e+").Replace("E-", "e-");
    }

    static void Indent(StringBuilder sb, int level) => sb.Append(' ', level * 2);

    /// <summary>Python's ensure_ascii string encoder.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
