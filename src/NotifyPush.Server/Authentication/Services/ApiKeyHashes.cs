using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The configured service API keys' SHA-256 hashes, decoded once for every request's handler, with the principal each
/// key signs in as, built once too: a key's name and scopes never change while the process runs, and the principal is
/// only read (no claims transformation is registered), so every request with the key shares it instead of building
/// its claims, identity and principal again.
/// </summary>
internal sealed class ApiKeyHashes
{
    /// <summary>Longest API key accepted, in characters; longer ones are refused without hashing.</summary>
    private const int MaxApiKeyLength = 1024;

    private readonly (string Name, byte[] Hash, string[] Scopes, ClaimsPrincipal Principal)[] _apiKeys;

    public ApiKeyHashes(IOptions<AuthOptions> options)
    {
        _apiKeys =
        [
            .. options.Value.ApiKeys.Select(k =>
            {
                var scopes = Granted(k.Scopes);
                return (k.Name, Convert.FromHexString(k.Sha256), scopes, Principal(k.Name, scopes));
            }),
        ];
    }

    /// <summary>The name, scopes and principal of the API key <paramref name="key"/>, or null when it is not a configured one.</summary>
    public (string Name, string[] Scopes, ClaimsPrincipal Principal)? Match(string key)
    {
        if (key.Length > MaxApiKeyLength)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);

        // Compare with every configured hash, without stopping at a match, so the time taken does not tell
        // which key (or whether an early one) matched.
        var match = -1;
        for (var i = 0; i < _apiKeys.Length; i++)
        {
            var equal = CryptographicOperations.FixedTimeEquals(hash, _apiKeys[i].Hash);
            match = equal ? i : match;
        }

        return match >= 0 ? (_apiKeys[match].Name, _apiKeys[match].Scopes, _apiKeys[match].Principal) : null;
    }

    private static ClaimsPrincipal Principal(string name, string[] scopes)
    {
        var claims = new List<Claim>(2 + scopes.Length)
        {
            new(NotifyPushClaimTypes.Caller, name),
            new(NotifyPushClaimTypes.CredentialKind, NotifyPushClaimTypes.ServiceKind),
        };
        foreach (var scope in scopes)
        {
            claims.Add(new Claim(NotifyPushClaimTypes.Scope, scope));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, NotifyPushSchemes.ApiKey, NotifyPushClaimTypes.Caller, roleType: null));
    }

    // A key configured without scopes may only send.
    private static string[] Granted(string[]? scopes) =>
        scopes is { Length: > 0 } ? [.. scopes.Distinct(StringComparer.Ordinal)] : [.. ServiceScopes.Default];
}
