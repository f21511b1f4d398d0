using System.Collections;
using System.Globalization;

namespace NotifyPush.Server.Logging;

/// <summary>
/// A log state whose values and formatted message have had credentials redacted. Structured
/// providers see the redacted values; text providers see <see cref="ToString"/>.
/// </summary>
internal sealed class RedactedLogState : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly KeyValuePair<string, object?>[] _values;
    private readonly string _message;

    private RedactedLogState(KeyValuePair<string, object?>[] values, string message)
    {
        _values = values;
        _message = message;
    }

    public int Count => _values.Length;

    public KeyValuePair<string, object?> this[int index] => _values[index];

    /// <summary>
    /// A redacted copy of <paramref name="state"/>, or null when nothing in it can hold a credential
    /// (the common case, in which the original state is passed on untouched).
    /// </summary>
    public static RedactedLogState? TryCreate<TState>(TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
        {
            // The message is built from these values and the template, so when none of them can
            // hold a credential, neither can the message, and it need not be formatted here.
            if (!AnyMayContainToken(pairs))
            {
                return null;
            }

            var values = new KeyValuePair<string, object?>[pairs.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = new(pairs[i].Key, RedactValue(pairs[i].Value));
            }

            return new RedactedLogState(values, AccessTokenRedactor.Redact(formatter(state, exception)));
        }

        var message = formatter(state, exception);
        return AccessTokenRedactor.MayContainToken(message)
            ? new RedactedLogState([], AccessTokenRedactor.Redact(message))
            : null;
    }

    /// <summary>A redacted copy of a scope's state, or null when it cannot hold a credential.</summary>
    public static object? TryCreateScope<TState>(TState state)
    {
        if (state is string text)
        {
            return AccessTokenRedactor.MayContainToken(text) ? AccessTokenRedactor.Redact(text) : null;
        }

        if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
        {
            if (!AnyMayContainToken(pairs))
            {
                return null;
            }

            var values = new KeyValuePair<string, object?>[pairs.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = new(pairs[i].Key, RedactValue(pairs[i].Value));
            }

            return new RedactedLogState(values, AccessTokenRedactor.Redact(state.ToString() ?? ""));
        }

        var formatted = state?.ToString();
        return AccessTokenRedactor.MayContainToken(formatted) ? AccessTokenRedactor.Redact(formatted!) : null;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => _message;

    private static bool AnyMayContainToken(IReadOnlyList<KeyValuePair<string, object?>> pairs)
    {
        for (var i = 0; i < pairs.Count; i++)
        {
            if (AccessTokenRedactor.MayContainToken(AsText(pairs[i].Value)))
            {
                return true;
            }
        }

        return false;
    }

    // A value keeps its type unless its text holds a credential; then it becomes the redacted text.
    private static object? RedactValue(object? value)
    {
        var text = AsText(value);
        if (!AccessTokenRedactor.MayContainToken(text))
        {
            return value;
        }

        var redacted = AccessTokenRedactor.Redact(text!);
        return string.Equals(redacted, text, StringComparison.Ordinal) && value is string ? value : redacted;
    }

    // Numbers, dates and the like cannot spell a credential; skipping them keeps the common
    // case free of allocations.
    private static string? AsText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal => null,
        DateTime or DateTimeOffset or TimeSpan or Guid or Enum => null,
        IEnumerable sequence => string.Join(", ", sequence.Cast<object?>()),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
