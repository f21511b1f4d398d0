using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using NotifyPush.Core;
using NotifyPush.Core.Diagnostics;
using NotifyPush.Server.Authentication;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace NotifyPush.Server.Telemetry;

/// <summary>Registration of metrics, traces and their exporters (<see cref="TelemetryOptions"/>).</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The standard variable naming the OTLP endpoint, used when <c>NotifyPush:Telemetry:OtlpEndpoint</c> is empty.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// The framework meters exported beside <c>NotifyPush</c>: requests and connections (ASP.NET Core, Kestrel),
    /// unhandled exceptions, the runtime (GC, thread pool, JIT), outgoing HTTP (OIDC discovery) and the Postgres pool.
    /// </summary>
    public static readonly IReadOnlyList<string> FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
        "System.Net.Http",
        "Npgsql",
    ];

    /// <summary>
    /// Adds the OpenTelemetry SDK: the <c>NotifyPush</c> meter and the framework's, read by the Prometheus endpoint and,
    /// when an endpoint is configured, exported over OTLP with the <c>NotifyPush</c> traces.
    /// </summary>
    public static IServiceCollection AddNotifyPushTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TelemetryOptions>().Bind(configuration.GetSection(TelemetryOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

        // Registration depends on the settings, so they are read here; the validator above reports bad ones at start.
        var settings = new TelemetryOptions();
        configuration.GetSection(TelemetryOptions.SectionName).Bind(settings);
        var otlpEndpoint = string.IsNullOrWhiteSpace(settings.OtlpEndpoint) ? null : settings.OtlpEndpoint;
        var otlp = otlpEndpoint is not null || !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var prometheus = settings.Metrics && !string.IsNullOrEmpty(settings.PrometheusPath);
        var tracing = settings.Tracing && otlp;
        if (!settings.Metrics && !tracing)
        {
            return services;
        }

        var version = typeof(NotifyPushMetrics).Assembly.GetName().Version?.ToString(3);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } serviceName ? serviceName : "notifypush",
                serviceVersion: version));
        if (settings.Metrics)
        {
            telemetry.WithMetrics(metrics =>
            {
                metrics.AddMeter(NotifyPushMetrics.MeterName).AddMeter([.. FrameworkMeters]);

                // A meter is matched by name in the whole process, but NotifyPush's and ASP.NET Core's are created per
                // host by its IMeterFactory: with two hosts in one process (tests, an app embedding two servers) each
                // would export the other's instruments. Only this host's, and the process-wide ones (no factory), count.
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
                {
                    var factory = provider.GetRequiredService<IMeterFactory>();
                    builder.AddView(instrument => instrument.Meter.Scope is IMeterFactory scope && !ReferenceEquals(scope, factory) ? MetricStreamConfiguration.Drop : null);
                });
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter(options => ConfigureOtlp(options, otlpEndpoint, settings.OtlpProtocol, "v1/metrics"));
                }
            });
        }

        if (tracing)
        {
            telemetry.WithTracing(traces => traces
                .AddSource(NotifyPushTracing.SourceName)
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(settings.TracesSampleRatio, 0, 1))))
                .AddOtlpExporter(options => ConfigureOtlp(options, otlpEndpoint, settings.OtlpProtocol, "v1/traces")));
        }

        return services;
    }

    /// <summary>
    /// Maps the Prometheus scrape endpoint when metrics are on and a path is set; behind the service credential when
    /// <see cref="TelemetryOptions.PrometheusRequiresServiceCredential"/> is set.
    /// </summary>
    public static IEndpointRouteBuilder MapNotifyPushMetrics(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!settings.Metrics || string.IsNullOrEmpty(settings.PrometheusPath))
        {
            return app;
        }

        var endpoint = app.MapPrometheusScrapingEndpoint(settings.PrometheusPath);
        if (settings.PrometheusRequiresServiceCredential)
        {
            endpoint.RequireAuthorization(NotifyPushPolicies.Scope(ServiceScopes.MetricsRead));
        }

        return app;
    }

    /// <summary>Reads an OTLP protocol name as the setting accepts it (<c>HttpProtobuf</c> or <c>Grpc</c>, any case).</summary>
    internal static bool TryParseProtocol(string value, out OtlpExportProtocol protocol) =>
        Enum.TryParse(value, ignoreCase: true, out protocol) && Enum.IsDefined(protocol);

    private static void ConfigureOtlp(OtlpExporterOptions options, string? endpoint, string? protocolName, string signalPath)
    {
        if (!string.IsNullOrWhiteSpace(protocolName) && TryParseProtocol(protocolName, out var protocol))
        {
            options.Protocol = protocol;
        }

        if (endpoint is null)
        {
            return; // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and adds the signal's path) itself.
        }

        // An endpoint set in code is used as is; over HTTP each signal has its own path under the base (as the
        // exporter does for the environment variable).
        options.Endpoint = options.Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(endpoint.TrimEnd('/') + "/" + signalPath)
            : new Uri(endpoint);
    }
}
