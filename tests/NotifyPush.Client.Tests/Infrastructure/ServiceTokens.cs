using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Client.Tests.Infrastructure;

/// <summary>Service JWTs for a <see cref="NotifyPushTestServer"/>: its key, its service audience, a scope and a client id.</summary>
public static class ServiceTokens
{
    public static string Create(string clientId = "billing", string scope = "notifications:send")
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = NotifyPushTestServer.Issuer,
            Audience = NotifyPushTestServer.ServiceAudience,
            NotBefore = now.AddMinutes(-1),
            IssuedAt = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["client_id"] = clientId, ["scope"] = scope },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(NotifyPushTestServer.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
