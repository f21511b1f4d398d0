using Microsoft.AspNetCore.Http.HttpResults;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// <c>GET /notifypush.js</c>, the browser client, and <c>GET /notifypush.d.ts</c>, its types, in every environment.
/// Front ends import the client from the server they talk to, so client and server always come from one build.
/// </summary>
/// <remarks>
/// The files are embedded in the assembly from <c>src/notifypush-js</c> (the one copy), not served from wwwroot,
/// which exists only for the Development demo page. Responses carry <see cref="CacheControl"/> and a strong ETag;
/// <c>If-None-Match</c> with that ETag answers 304 without a body. Front ends usually live on another origin than
/// NotifyPush, and a module script is fetched in CORS mode: every response allows any origin (the file is public and
/// the same for everyone, and no credentials are allowed with it).
/// </remarks>
public static class ClientScriptEndpoint
{
    /// <summary>Path of the client module.</summary>
    public const string ScriptPath = "/notifypush.js";

    /// <summary>Path of its TypeScript declarations.</summary>
    public const string TypesPath = "/notifypush.d.ts";

    /// <summary>Manifest resource name of the client module (the project file's <c>LogicalName</c>).</summary>
    internal const string ScriptResource = "NotifyPush.Server.ClientScript.notifypush.js";

    /// <summary>Manifest resource name of the declarations.</summary>
    internal const string TypesResource = "NotifyPush.Server.ClientScript.notifypush.d.ts";

    /// <summary>
    /// Five minutes of reuse, then a revalidation that costs a 304. Short because the URL carries no version:
    /// after a deploy, pages get the new client within minutes. Public: it holds no user data.
    /// </summary>
    internal const string CacheControl = "public, max-age=300";

    private const string CrossOriginResourcePolicy = "Cross-Origin-Resource-Policy";

    public static IEndpointRouteBuilder MapClientScript(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Read once: a missing resource is a broken build and stops the server at start-up, not on first request.
        var script = EmbeddedAsset.Load(ScriptResource, "text/javascript; charset=utf-8");

        // No registered media type exists for TypeScript; text/plain lets a browser show it instead of downloading it.
        var types = EmbeddedAsset.Load(TypesResource, "text/plain; charset=utf-8");

        app.MapMethods(ScriptPath, [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, script))
            .WithName("GetClientScript")
            .WithSummary("The browser client notifypush.js (ES module).");
        app.MapMethods(TypesPath, [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, types))
            .WithName("GetClientScriptTypes")
            .WithSummary("TypeScript declarations of notifypush.js.");
        return app;
    }

    private static FileContentHttpResult Serve(HttpContext context, EmbeddedAsset asset)
    {
        // Set before the result runs, so a 304 carries them too: a revalidated module is checked for CORS again.
        var headers = context.Response.Headers;
        headers.CacheControl = CacheControl;
        headers.XContentTypeOptions = "nosniff";
        headers.AccessControlAllowOrigin = "*";
        // Lets pages that require CORP of what they embed (Cross-Origin-Embedder-Policy: require-corp) load it too.
        headers[CrossOriginResourcePolicy] = "cross-origin";

        // The file result evaluates If-None-Match (304) and HEAD (headers only) itself.
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
