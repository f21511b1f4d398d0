using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using NotifyPush.Server.Api;

namespace NotifyPush.Server.Hosting;

/// <summary>The OpenAPI document of the service API, at <c>/openapi/v1.json</c> (<see cref="ApiOptions.OpenApiDocument"/>).</summary>
public static class OpenApiServiceCollectionExtensions
{
    private const string ApiKeyScheme = "ApiKey";
    private const string BearerScheme = "Bearer";
    private const string UserTokenScheme = "UserToken";
    private const string UserCookieScheme = "UserCookie";

    /// <summary>Adds the document: the service API's routes, bodies and problem+json errors, and its two credentials.</summary>
    public static IServiceCollection AddNotifyPushOpenApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenApi(options =>
        {
            // The service API, and the browser's Web Push routes (user credential): health, metrics and the socket are not
            // for API clients (docs/protocol.md describes /ws).
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true
                || description.RelativePath?.StartsWith("push/", StringComparison.Ordinal) == true
                || description.RelativePath is "sse" or "sse/ack";
            // The user id and the history's query are read from the raw request (PathUserId: a route value is not
            // decoded exactly once), so the generator does not see them as parameters: they are described here.
            options.AddOperationTransformer((operation, context, _) =>
            {
                var path = context.Description.RelativePath ?? string.Empty;
                if (path.Contains("{userId}", StringComparison.Ordinal))
                {
                    AddParameter(operation, "userId", ParameterLocation.Path, JsonSchemaType.String, required: true,
                        "The user id, percent-encoded as one path segment ('/' as %2F).");
                }

                if (context.Description.HttpMethod == HttpMethods.Get && path.EndsWith("/notifications", StringComparison.Ordinal))
                {
                    AddParameter(operation, "after", ParameterLocation.Query, JsonSchemaType.Integer, required: false,
                        "Return notifications with seq above this one (default 0).");
                    AddParameter(operation, "limit", ParameterLocation.Query, JsonSchemaType.Integer, required: false,
                        "Page size, 1 to NotifyPush:Api:MaxHistoryLimit (default NotifyPush:Api:DefaultHistoryLimit).");
                }

                if (context.Description.HttpMethod == HttpMethods.Post && path == "api/notifications")
                {
                    AddParameter(operation, "Idempotency-Key", ParameterLocation.Header, JsonSchemaType.String, required: false,
                        "Makes a retry safe: 1 to NotifyPush:Api:MaxIdempotencyKeyLength (255) printable ASCII characters, per caller. " +
                        "The same key with the same body returns the original result; with another body, 422.");
                    AddResponseHeader(operation, "202", "Idempotent-Replayed", JsonSchemaType.String,
                        "`true` when this is the stored answer to an earlier request with the same Idempotency-Key and body; nothing new was stored.");
                }

                if (context.Description.HttpMethod == HttpMethods.Get && path == "sse")
                {
                    AddParameter(operation, "since", ParameterLocation.Query, JsonSchemaType.Integer, required: false,
                        "Resume after this seq (as on /ws); Last-Event-ID takes precedence when it is newer.");
                    AddParameter(operation, "Last-Event-ID", ParameterLocation.Header, JsonSchemaType.String, required: false,
                        "The id of the last event received, which a browser's EventSource sends when it reconnects: the stream resumes after it.");
                    AddParameter(operation, "access_token", ParameterLocation.Query, JsonSchemaType.String, required: false,
                        "The user's JWT, for clients that cannot set a header (EventSource); never logged. The cookie or the Authorization header otherwise.");
                }

                // 429 (the caller's rate limit) and 503 (a dependency down) on every route say when to try again.
                foreach (var status in (string[])["429", "503"])
                {
                    AddResponseHeader(operation, status, "Retry-After", JsonSchemaType.Integer,
                        "Seconds to wait before retrying (with the same Idempotency-Key, for a send).");
                }

                return Task.CompletedTask;
            });
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "NotifyPush service API",
                    Version = typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
                    Description = "Send per-user notifications, read a user's history with its delivery state, sign a user out. " +
                        "Every call needs a service credential: `Authorization: ApiKey <key>` or a service JWT (`Authorization: Bearer <jwt>`); " +
                        "a user token is refused with 403. Each route needs a scope of the credential (403 naming it otherwise): " +
                        "`notifications:send` (POST /api/notifications), `notifications:read` (history), `users:disconnect` (sign-out and revocation), " +
                        "`presence:read` (presence), `admin` (/api/admin/*), `metrics:read` (/metrics when it requires a credential). " +
                        "An API key's scopes are configured in NotifyPush:Auth:ApiKeys:N:Scopes (none: notifications:send only); a service JWT carries them in `scope` or `scp`. " +
                        "Errors are RFC 9457 problem details (application/problem+json).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = "Authorization",
                    Description = "A service API key, sent as `Authorization: ApiKey <key>` (NotifyPush:Auth:ApiKeys holds its SHA-256 and its Scopes).",
                };
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A service JWT: audience NotifyPush:Auth:ServiceJwt:Audience; its scopes in `scope` or `scp` (NotifyPush:Auth:ServiceJwt:Scope names the send scope, default notifications:send).",
                };
                document.Components.SecuritySchemes[UserTokenScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "The user's own JWT (the socket's credential; audience NotifyPush:Auth:Jwt:Audience), for the /push routes a browser calls.",
                };
                document.Components.SecuritySchemes[UserCookieScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Cookie,
                    Name = "__Host-notifypush_token",
                    Description = "The user's JWT in the cookie NotifyPush:Auth:CookieName; only with an Origin in NotifyPush:Auth:AllowedOrigins.",
                };
                document.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] },
                ];

                // The /push and /sse routes are the browser's, not a service's: a user credential, or none for the public key.
                foreach (var (path, item) in document.Paths)
                {
                    if (!(path.StartsWith("/push/", StringComparison.Ordinal) || path.StartsWith("/sse", StringComparison.Ordinal)) || item.Operations is null)
                    {
                        continue;
                    }

                    foreach (var operation in item.Operations.Values)
                    {
                        operation.Security = path != "/push/vapid-public-key"
                            ?
                            [
                                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(UserTokenScheme, document)] = [] },
                                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(UserCookieScheme, document)] = [] },
                            ]
                            : [];
                    }
                }

                return Task.CompletedTask;
            });
        });
        return services;
    }

    private static void AddParameter(OpenApiOperation operation, string name, ParameterLocation location, JsonSchemaType type, bool required, string description)
    {
        operation.Parameters ??= [];
        if (operation.Parameters.Any(p => p.Name == name))
        {
            return;
        }

        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = location,
            Required = required,
            Description = description,
            Schema = new OpenApiSchema { Type = type },
        });
    }

    private static void AddResponseHeader(OpenApiOperation operation, string status, string name, JsonSchemaType type, string description)
    {
        if (operation.Responses?.TryGetValue(status, out var declared) != true || declared is not OpenApiResponse response)
        {
            return;
        }

        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader
        {
            Description = description,
            Schema = new OpenApiSchema { Type = type },
        };
    }

    /// <summary>Maps <c>/openapi/v1.json</c> unless <c>NotifyPush:Api:OpenApiDocument</c> is false.</summary>
    public static IEndpointRouteBuilder MapNotifyPushOpenApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IOptions<ApiOptions>>().Value.OpenApiDocument)
        {
            app.MapOpenApi();
        }

        return app;
    }
}
