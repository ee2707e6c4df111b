using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PureBoot.Core.Secrets;

namespace PureBoot.Simulation;

/// <summary>
/// Keeps CHAP passwords out of the state file in plain text: on the way out each non-empty chap_password and
/// chap_mutual_password (in the live configuration, the saved file and its backups) becomes "pureboot-sealed:" and
/// the value sealed with PureBoot's secret key; on the way in it is opened again, exactly as it was. In memory the
/// simulated host holds the real values, as a real host does. A file read without a key keeps sealed values as
/// opaque strings and writes them back unchanged, so tools that edit the file without the key do not break it.
/// </summary>
internal static partial class StateSealing
{
    const string Prefix = "pureboot-sealed:";
    const string Context = "simulated-host:chap-password";

    [GeneratedRegex(@"(""chap_(?:mutual_)?password""\s*:\s*"")((?:[^""\\]|\\.)*)("")")] private static partial Regex PasswordInText();

    static bool IsPassword(string key) => key is "chap_password" or "chap_mutual_password";

    /// <summary>
    /// Seals (or, with <paramref name="open"/>, opens) every password of a serialized state, in place. <paramref name="known"/>
    /// maps each value opened to the sealed text it came from, and sealing reuses it: a state saved unchanged is the same
    /// file byte for byte (sealing draws a new nonce each time).
    /// </summary>
    public static void Apply(JsonObject state, SecretBox box, bool open, Dictionary<string, string> known)
    {
        string T(string v) => Transform(v, box, open, known);
        if (state["live"] is JsonNode live) Walk(live, T);
        foreach (var key in new[] { "saved", "lastBackup" })
            if (state[key] is JsonValue text && text.TryGetValue<string>(out var s)) state[key] = InText(s, T);
        if (state["otherSavedFiles"] is JsonObject files)
            foreach (var name in files.Select(p => p.Key).ToList())
                if (files[name] is JsonValue v && v.TryGetValue<string>(out var s)) files[name] = InText(s, T);
    }

    /// <summary>Passwords inside saveconfig.json text: the JSON-escaped value is sealed as it stands, so it comes back byte for byte.</summary>
    static string InText(string text, Func<string, string> transform) =>
        PasswordInText().Replace(text, m => m.Groups[1].Value + transform(m.Groups[2].Value) + m.Groups[3].Value);

    static void Walk(JsonNode node, Func<string, string> transform)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is JsonValue v && IsPassword(key) && v.TryGetValue<string>(out var s)) o[key] = transform(s);
                    else if (o[key] is JsonNode child) Walk(child, transform);
                }
                break;
            case JsonArray a:
                foreach (var child in a) if (child is not null) Walk(child, transform);
                break;
        }
    }

    static string Transform(string value, SecretBox box, bool open, Dictionary<string, string> known)
    {
        if (value.Length == 0) return value;
        var isSealed = value.StartsWith(Prefix, StringComparison.Ordinal);
        if (open)
        {
            if (!isSealed) return value;
            var plain = box.Open(Convert.FromBase64String(value[Prefix.Length..]), Context);
            known.TryAdd(plain, value);
            return plain;
        }
        if (isSealed) return value;
        if (!known.TryGetValue(value, out var sealedText)) known[value] = sealedText = Prefix + Convert.ToBase64String(box.Seal(value, Context));
        return sealedText;
    }
}
