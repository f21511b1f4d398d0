using Microsoft.Extensions.Logging.Testing;

namespace NotifyPush.Testing;

/// <summary>The text a <see cref="FakeLogRecord"/> carries, for "never appears anywhere in the logs" assertions.</summary>
public static class FakeLogRecordText
{
    /// <summary>
    /// Every piece of text the record carries: the formatted message, each structured state key and value (or the
    /// state's text when it is not structured), each scope with its key=value pairs, and the exception's full text.
    /// </summary>
    public static IEnumerable<string> AllText(this FakeLogRecord record)
    {
        yield return record.Message;

        // FakeLogger keeps structured state as string pairs and stringifies any other state; StructuredState
        // throws for the latter, so the state is matched on its shape here.
        if (record.State is IEnumerable<KeyValuePair<string, string?>> pairs)
        {
            foreach (var (key, value) in pairs)
            {
                yield return key;
                if (value is not null)
                {
                    yield return value;
                }
            }
        }
        else if (record.State is string text)
        {
            yield return text;
        }

        foreach (var scope in record.ScopeTexts())
        {
            yield return scope;
        }

        if (record.Exception is not null)
        {
            yield return record.Exception.ToString();
        }
    }

    /// <summary>The record's scopes as text: each scope's own text, then its structured values as key=value.</summary>
    public static IReadOnlyList<string> ScopeTexts(this FakeLogRecord record)
    {
        var texts = new List<string>();
        foreach (var scope in record.Scopes)
        {
            texts.Add(scope?.ToString() ?? "");
            if (scope is IEnumerable<KeyValuePair<string, object?>> scopePairs)
            {
                foreach (var (key, value) in scopePairs)
                {
                    texts.Add(key + "=" + value);
                }
            }
        }

        return texts;
    }
}
