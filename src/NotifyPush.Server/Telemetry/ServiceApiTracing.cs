using System.Diagnostics;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Telemetry;

/// <summary>
/// The server span of each service API call (<c>/api/…</c>), continuing the caller's W3C <c>traceparent</c>: the send's
/// store append and doorbell hang under it. Also when no tracer listens, an activity is started so that the call's log
/// lines and problem details carry the caller's trace id.
/// </summary>
/// <remarks>
/// ASP.NET Core's own per-request activity is not used: it would also start for <c>/ws</c>, and a socket is a request
/// that lasts hours (see <see cref="NotifyPushTracing"/>). This one is limited to the short API calls.
/// </remarks>
internal static class ServiceApiTracing
{
    private const string ApiPrefix = "/api";

    /// <summary>Adds the middleware; place it before authentication so that refusals are traced too.</summary>
    public static IApplicationBuilder UseServiceApiTracing(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
            context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase)
                ? TraceAsync(context, next)
                : next(context));

    private static async Task TraceAsync(HttpContext context, RequestDelegate next)
    {
        using var activity = Start(context);
        try
        {
            await next(context);
        }
        finally
        {
            if (activity is { IsAllDataRequested: true })
            {
                var status = context.Response.StatusCode;
                activity.SetTag("http.response.status_code", status);
                if (status >= 500)
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
        }
    }

    private static Activity? Start(HttpContext context)
    {
        var request = context.Request;
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? request.Path.Value ?? ApiPrefix;
        var name = $"{request.Method} {route}";

        // A framework activity (ASP.NET Core's, when something enabled it) already continued the caller's trace.
        var parent = Activity.Current is null ? ExtractParent(request.Headers) : default;
        var activity = NotifyPushTracing.Source.StartActivity(name, ActivityKind.Server, parent);
        if (activity is null && Activity.Current is null)
        {
            // Not recorded by anyone: only for the trace id in logs and problem details.
            activity = new Activity(name);
            if (parent != default)
            {
                activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
            }

            activity.Start();
        }
        else if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", request.Method);
            activity.SetTag("http.route", route);
        }

        return activity;
    }

    private static ActivityContext ExtractParent(IHeaderDictionary headers)
    {
        DistributedContextPropagator.Current.ExtractTraceIdAndState(
            headers,
            static (carrier, name, out value, out values) =>
            {
                values = null;
                value = ((IHeaderDictionary)carrier!).TryGetValue(name, out var header) ? header.ToString() : null;
            },
            out var traceParent,
            out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}
