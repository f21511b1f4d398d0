using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NotifyPush.Server.Authentication;

namespace NotifyPush.Server.Tests.Authentication;

/// <summary>
/// Every service route against every scope, for API keys and for service JWTs: a credential is admitted exactly where
/// it holds the route's scope, and refused elsewhere with 403 problem+json naming the scope it lacks.
/// </summary>
public sealed class ServiceScopeMatrixTests(ServiceScopeMatrixFixture fixture) : IClassFixture<ServiceScopeMatrixFixture>
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Route name → (method, path, JSON body or null, the scope it needs).</summary>
    private static readonly Dictionary<string, (HttpMethod Method, string Path, string? Body, string Scope)> Routes = new()
    {
        ["send"] = (HttpMethod.Post, "/api/notifications", """{"userId":"matrix-user","type":"t","payload":{}}""", ServiceScopes.Send),
        ["history"] = (HttpMethod.Get, "/api/users/matrix-user/notifications", null, ServiceScopes.Read),
        ["disconnect"] = (HttpMethod.Post, "/api/users/matrix-user/disconnect", null, ServiceScopes.Disconnect),
        ["presence"] = (HttpMethod.Get, "/api/users/matrix-user/presence", null, ServiceScopes.PresenceRead),
        ["presence-many"] = (HttpMethod.Post, "/api/presence", """{"userIds":["matrix-user"]}""", ServiceScopes.PresenceRead),
        ["admin"] = (HttpMethod.Get, "/api/admin/replicas", null, ServiceScopes.Admin),
        ["metrics"] = (HttpMethod.Get, "/metrics", null, ServiceScopes.MetricsRead),
    };

    /// <summary>Each route with each scope, and with none (null).</summary>
    public static TheoryData<string, string?> RouteAndScope()
    {
        var data = new TheoryData<string, string?>();
        foreach (var route in Routes.Keys)
        {
            foreach (var scope in ServiceScopes.All)
            {
                data.Add(route, scope);
            }

            data.Add(route, null);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RouteAndScope))]
    public async Task ApiKey_IsAdmittedExactlyWhereItHoldsTheRoutesScope_AndAKeyWithoutScopesMayOnlySend(string route, string? scope)
    {
        var key = scope is null ? ServiceScopeMatrixFixture.NoScopeKey : ServiceScopeMatrixFixture.KeyFor(scope);
        // A key configured without scopes holds notifications:send only.
        var held = scope ?? ServiceScopes.Send;

        await AssertAsync(route, new AuthenticationHeaderValue("ApiKey", key), held);
    }

    [Theory]
    [MemberData(nameof(RouteAndScope))]
    public async Task ServiceJwt_IsAdmittedExactlyWhereItCarriesTheRoutesScope_AndOneWithoutScopesNowhere(string route, string? scope)
    {
        await AssertAsync(route, new AuthenticationHeaderValue("Bearer", ServiceScopeMatrixFixture.ServiceToken(scope)), scope);
    }

    [Fact]
    public async Task ServiceJwt_WithSeveralScopesInOneClaim_IsAdmittedToEachOfThem()
    {
        var header = new AuthenticationHeaderValue("Bearer", ServiceScopeMatrixFixture.ServiceToken("presence:read notifications:read"));

        Assert.Equal(HttpStatusCode.OK, await StatusAsync("presence", header));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("history", header));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync("send", header));
    }

    private async Task AssertAsync(string route, AuthenticationHeaderValue credential, string? held)
    {
        var needed = Routes[route].Scope;
        using var response = await SendAsync(route, credential);
        var body = await response.Content.ReadAsStringAsync();
        if (held == needed)
        {
            Assert.True(response.IsSuccessStatusCode, $"{route} with scope {held}: expected 2xx, got {(int)response.StatusCode} {body}");
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route} with scope {held ?? "(none)"}: expected 403, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Contains($"'{needed}'", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<HttpStatusCode> StatusAsync(string route, AuthenticationHeaderValue credential)
    {
        using var response = await SendAsync(route, credential);
        return response.StatusCode;
    }

    private async Task<HttpResponseMessage> SendAsync(string route, AuthenticationHeaderValue credential)
    {
        var (method, path, body, _) = Routes[route];
        using var client = fixture.Server.CreateClient();
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = credential;
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var timeout = new CancellationTokenSource(RequestTimeout);
        return await client.SendAsync(request, timeout.Token);
    }
}
