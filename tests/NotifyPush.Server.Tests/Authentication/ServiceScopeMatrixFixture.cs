using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary>
/// One server for the scope matrix: the admin view on, <c>/metrics</c> behind a credential, and one API key per scope
/// (<c>key-&lt;scope&gt;</c>) plus one configured without scopes (<see cref="NoScopeKey"/>).
/// </summary>
public sealed class ServiceScopeMatrixFixture : IDisposable
{
    /// <summary>The API key configured without <c>Scopes</c>.</summary>
    public const string NoScopeKey = "key-without-scopes";

    public ServiceScopeMatrixFixture()
    {
        var settings = new Dictionary<string, string?>
        {
            ["NotifyPush:Admin:Enabled"] = "true",
            ["NotifyPush:Telemetry:PrometheusRequiresServiceCredential"] = "true",
        };

        // Index 0 is the common test key (every scope).
        var index = 1;
        foreach (var scope in ServiceScopes.All)
        {
            settings[$"NotifyPush:Auth:ApiKeys:{index}:Name"] = $"only-{scope.Replace(':', '-')}";
            settings[$"NotifyPush:Auth:ApiKeys:{index}:Sha256"] = Sha256(KeyFor(scope));
            settings[$"NotifyPush:Auth:ApiKeys:{index}:Scopes:0"] = scope;
            index++;
        }

        settings[$"NotifyPush:Auth:ApiKeys:{index}:Name"] = "no-scopes";
        settings[$"NotifyPush:Auth:ApiKeys:{index}:Sha256"] = Sha256(NoScopeKey);
        Server = new NotifyPushTestServer(settings);
    }

    public NotifyPushTestServer Server { get; }

    /// <summary>The API key that holds <paramref name="scope"/> alone.</summary>
    public static string KeyFor(string scope) => "key-" + scope;

    /// <summary>A service JWT of the test server whose <c>scope</c> claim is <paramref name="scope"/> (none when null).</summary>
    public static string ServiceToken(string? scope)
    {
        var claims = new Dictionary<string, object> { ["client_id"] = "matrix" };
        if (scope is not null)
        {
            claims["scope"] = scope;
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = NotifyPushTestServer.Issuer,
            Audience = NotifyPushTestServer.ServiceAudience,
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(NotifyPushTestServer.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    public void Dispose() => Server.Dispose();

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
