using System.Text.Json;

namespace NotifyPush.Server.Api;

/// <summary>
/// Finds a <c>\u</c> escape of a lone UTF-16 surrogate in JSON text. The parser accepts one (RFC 8259 allows the
/// syntax) but it is no text: reading the string throws, and a payload stored as sent would reach clients as a string
/// that no UTF-8 encoder can write. A body route checks the whole body with this before reading any string, so such a
/// body is a 400 wherever the escape sits: a field, a property name, or deep inside the payload.
/// </summary>
public static class JsonEscapes
{
    /// <summary>The 400 problem's detail.</summary>
    public const string LoneSurrogateProblem = "The body escapes a lone UTF-16 surrogate (e.g. \\ud800 without its pair); strings must be valid Unicode text.";

    /// <summary>Whether any string or property name of <paramref name="utf8Json"/> escapes a surrogate that is not half of a pair.</summary>
    /// <param name="utf8Json">A JSON document already known to parse.</param>
    public static bool HasLoneSurrogate(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        while (reader.Read())
        {
            // Only an escape can spell a surrogate: UTF-8 encodes none. Over a span, the value is always ValueSpan.
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName
                && reader.ValueIsEscaped
                && EscapesLoneSurrogate(reader.ValueSpan))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Scans one string's escaped bytes (without quotes) for an unpaired <c>\uD800</c>–<c>\uDFFF</c>.</summary>
    private static bool EscapesLoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        var pendingHigh = false;
        for (var i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] != (byte)'\\')
            {
                if (pendingHigh)
                {
                    return true; // a high surrogate followed by anything but an escaped low one
                }

                continue;
            }

            // The parser has checked the escapes: a backslash is followed by one of "\/bfnrt or u and four hex digits.
            if (escaped[i + 1] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return true;
                }

                i++;
                continue;
            }

            var unit = Hex(escaped.Slice(i + 2, 4));
            i += 5;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (pendingHigh)
                {
                    return true; // two high surrogates in a row
                }

                pendingHigh = true;
            }
            else if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!pendingHigh)
                {
                    return true; // a low surrogate with no high one before it
                }

                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return true;
            }
        }

        return pendingHigh;
    }

    private static int Hex(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var digit in digits)
        {
            value = (value << 4) | digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                _ => digit - 'A' + 10,
            };
        }

        return value;
    }
}
