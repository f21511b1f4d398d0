using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NotifyPush.Server.Tests.Infrastructure;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary>A tiny OpenID Connect authority on a real Kestrel port: a discovery document and a JWKS whose keys a test can change.</summary>
public sealed class OidcTestAuthority : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _jwksRequests;

    private OidcTestAuthority(WebApplication app)
    {
        _app = app;
    }

    /// <summary>Base URL, e.g. <c>http://127.0.0.1:41234</c>; also the <c>issuer</c> of the discovery document.</summary>
    public string Authority { get; private set; } = "";

    /// <summary>The JWKS entries served, by key id.</summary>
    public ConcurrentDictionary<string, Dictionary<string, object?>> Keys { get; } = new();

    /// <summary>How many times the JWKS was fetched.</summary>
    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public static async Task<OidcTestAuthority> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var authority = new OidcTestAuthority(app);

        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object?>
        {
            ["issuer"] = authority.Authority,
            ["jwks_uri"] = authority.Authority + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256", "ES256" },
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref authority._jwksRequests);
            return Results.Json(new { keys = authority.Keys.Values.ToArray() });
        });

        await app.StartAsync().WithTimeout();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        authority.Authority = address.TrimEnd('/');
        return authority;
    }

    /// <summary>Host settings pointing <c>NotifyPush:Auth:Jwt:Authority</c> here (https not required), with the test audiences and API key.</summary>
    public Dictionary<string, string?> Settings(string? authority = null)
    {
        var settings = TestTokens.HmacSettings(new Dictionary<string, string?>
        {
            ["NotifyPush:Auth:Jwt:Authority"] = authority ?? Authority,
            ["NotifyPush:Auth:Jwt:RequireHttpsMetadata"] = "false",
        });
        settings.Remove("NotifyPush:Auth:Jwt:SigningKey");
        settings.Remove("NotifyPush:Auth:Jwt:Issuer");
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WithTimeout();
        await _app.DisposeAsync();
    }
}
