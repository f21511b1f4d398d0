using Microsoft.AspNetCore.Http.HttpResults;

namespace NotifyPush.Server.Endpoints;

/// <summary>
/// <c>GET /notifypush.js</c>, the browser client, the modules it imports (<c>/notifypush-shared.js</c>, …), and
/// <c>GET /notifypush.d.ts</c>, its types, in every environment. Front ends import the client from the server they
/// talk to, so client and server always come from one build.
/// </summary>
/// <remarks>
/// The files are embedded in the assembly from <c>src/notifypush-js</c> (the one copy), not served from wwwroot,
/// which exists only for the Development demo page. Every file is served at the root, beside the entry, because
/// the entry imports the others by relative URL (<c>./notifypush-shared.js</c>). Responses carry
/// <see cref="CacheControl"/> and a strong ETag; <c>If-None-Match</c> with that ETag answers 304 without a body.
/// Front ends usually live on another origin than NotifyPush, and a module script and its imports are fetched in
/// CORS mode: every response allows any origin (the files are public and the same for everyone, and no credentials
/// are allowed with them).
/// </remarks>
public static class ClientScriptEndpoint
{
    /// <summary>Manifest resource name of a file without its file name (the project file's <c>LogicalName</c>).</summary>
    internal const string ResourcePrefix = "NotifyPush.Server.ClientScript.";

    /// <summary>
    /// Five minutes of reuse, then a revalidation that costs a 304. Short because the URL carries no version:
    /// after a deploy, pages get the new client within minutes. Public: it holds no user data.
    /// </summary>
    internal const string CacheControl = "public, max-age=300";

    private const string JavaScript = "text/javascript; charset=utf-8";

    // No registered media type exists for TypeScript; text/plain lets a browser show it instead of downloading it.
    private const string PlainText = "text/plain; charset=utf-8";

    /// <summary>Every file served: its name (path and resource name follow from it), media type, endpoint name and summary.</summary>
    internal static readonly IReadOnlyList<(string File, string ContentType, string EndpointName, string Summary)> Files =
    [
        ("notifypush.js", JavaScript, "GetClientScript", "The browser client notifypush.js (ES module)."),
        ("notifypush-protocol.js", JavaScript, "GetClientScriptProtocol", "Module of notifypush.js: the protocol's rules (close codes, backoff, resume point, acks)."),
        ("notifypush-queue.js", JavaScript, "GetClientScriptQueue", "Module of notifypush.js: the handler queue (one notification at a time, in order, then the ack)."),
        ("notifypush-events.js", JavaScript, "GetClientScriptEvents", "Module of notifypush.js: the client's events (on, off, emit)."),
        ("notifypush-connectivity.js", JavaScript, "GetClientScriptConnectivity", "Module of notifypush.js: the browser's online and offline events."),
        ("notifypush-socket.js", JavaScript, "GetClientScriptSocket", "Module of notifypush.js: one socket to the server."),
        ("notifypush-sse.js", JavaScript, "GetClientScriptEventStream", "Module of notifypush.js: the Server-Sent Events fallback, shaped as a socket."),
        ("notifypush-shared.js", JavaScript, "GetClientScriptShared", "Module of notifypush.js: shared mode, one socket for the tabs of a browser."),
        ("notifypush-webpush.js", JavaScript, "GetClientScriptWebPush", "Module of notifypush.js: Web Push (register the service worker, subscribe, save the subscription)."),
        ("notifypush-sw.js", JavaScript, "GetClientScriptServiceWorker", "The Web Push service worker (a classic script): shows pushes, opens their URL on click. Serve it from the application's own origin; this copy only controls pages of the server's."),
        ("notifypush.d.ts", PlainText, "GetClientScriptTypes", "TypeScript declarations of notifypush.js."),
    ];

    private const string CrossOriginResourcePolicy = "Cross-Origin-Resource-Policy";

    public static IEndpointRouteBuilder MapClientScript(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        foreach (var (file, contentType, endpointName, summary) in Files)
        {
            // Read once: a missing resource is a broken build and stops the server at start-up, not on first request.
            var asset = EmbeddedAsset.Load(ResourcePrefix + file, contentType);
            app.MapMethods("/" + file, [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Serve(context, asset))
                .WithName(endpointName)
                .WithSummary(summary);
        }

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
