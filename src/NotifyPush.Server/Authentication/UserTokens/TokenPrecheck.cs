using System.Buffers.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Cheap checks of a compact JWS before the token handler sees it: size, three segments, a signature, and an
/// <c>alg</c> the configured keys may verify. Refusing here gives each failure its own message (the handler
/// folds an algorithm that no key accepts into a generic signature error) and keeps JWE and oversized input
/// away from the handler altogether.
/// </summary>
internal static class TokenPrecheck
{
    /// <summary>Largest token accepted, in characters; a handshake header or <c>auth</c> frame never needs more.</summary>
    public const int MaxTokenLength = 16 * 1024;

    // A JOSE header is a few dozen bytes; anything this large is not one this service issues or accepts.
    private const int MaxHeaderLength = 4096;

    /// <summary>
    /// What every validation path runs before the token handler: <see cref="Check"/>, then the signing keys'
    /// availability. Null when the token may go to the handler; otherwise why not.
    /// </summary>
    public static async ValueTask<string?> CheckAsync(string? token, IEnumerable<string>? validAlgorithms, SigningKeyDiscovery discovery, CancellationToken cancellationToken)
    {
        if (Check(token, validAlgorithms) is { } malformed)
        {
            return malformed;
        }

        return await discovery.EnsureAvailableAsync(cancellationToken).ConfigureAwait(false) ? null : TokenErrors.SigningKeysUnavailable;
    }

    /// <summary>Null when the token may go to the handler; otherwise why not, safe to send and to log (never quotes the token).</summary>
    public static string? Check(string? token, IEnumerable<string>? validAlgorithms)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return "token is missing";
        }

        if (token.Length > MaxTokenLength)
        {
            return "token is too large";
        }

        // Only compact JWS (three segments). A JWE (five) is refused: no decryption keys are configured, and
        // decompressing attacker input is not worth the risk.
        var first = token.IndexOf('.');
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second < 0 || token.IndexOf('.', second + 1) >= 0)
        {
            return "token is malformed";
        }

        if (!TryReadAlgorithm(token.AsSpan(0, first), out var algorithm, out var critical))
        {
            return "token is malformed";
        }

        if (second == token.Length - 1 || string.IsNullOrEmpty(algorithm)
            || string.Equals(algorithm, SecurityAlgorithms.None, StringComparison.OrdinalIgnoreCase))
        {
            return "token is not signed";
        }

        if (critical)
        {
            // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must reject the token,
            // and this service understands none.
            return "token has critical header parameters that are not supported";
        }

        if (validAlgorithms is not null && !validAlgorithms.Contains(algorithm, StringComparer.Ordinal))
        {
            return "token signing algorithm is not accepted";
        }

        return null;
    }

    private static bool TryReadAlgorithm(ReadOnlySpan<char> encodedHeader, out string? algorithm, out bool critical)
    {
        algorithm = null;
        critical = false;
        if (encodedHeader.Length > MaxHeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Base64Url.GetMaxDecodedLength(encodedHeader.Length)];
        if (Base64Url.DecodeFromChars(encodedHeader, header, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(header[..written]);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("alg"u8))
                {
                    reader.Read();
                    algorithm = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else
                {
                    critical |= reader.ValueTextEquals("crit"u8);
                    reader.Read();
                    reader.TrySkip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
