using System.Security.Cryptography;
using System.Text;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The well-known credentials used in Development when none are configured. They are public
/// (they are in the source), so they are never applied outside Development.
/// </summary>
public static class DevelopmentCredentials
{
    /// <summary>HS256 key of Development tokens; its name says what it is wherever it shows up.</summary>
    public const string SigningKey = "notifypush-development-only-signing-key-do-not-use-in-production";

    /// <summary>Issuer of Development tokens.</summary>
    public const string Issuer = "notifypush-dev";

    /// <summary>Audience of Development user tokens.</summary>
    public const string Audience = "notifypush";

    /// <summary>The Development service API key: <c>Authorization: ApiKey dev-api-key</c>.</summary>
    public const string ApiKey = "dev-api-key";

    /// <summary>Caller name of <see cref="ApiKey"/>.</summary>
    public const string ApiKeyName = "dev";

    /// <summary>Hex SHA-256 of <see cref="ApiKey"/>, as it would be configured.</summary>
    public static readonly string ApiKeySha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ApiKey)));
}
