namespace NotifyPush.Server.Telemetry;

/// <summary>Metrics, traces and their exporters. Section <c>NotifyPush:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "NotifyPush:Telemetry";

    /// <summary>Collect the service's and the framework's metrics (for <c>/metrics</c> and OTLP). Default true.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Path of the Prometheus scrape endpoint; empty serves none (OTLP may still export). Default <c>/metrics</c>.</summary>
    public string PrometheusPath { get; set; } = "/metrics";

    /// <summary>
    /// Require a service credential (API key or service JWT) holding the <c>metrics:read</c> scope on the scrape
    /// endpoint; a user token, or a credential without the scope, gets 403 like on the service API. Default false: the endpoint holds no user data and scrapers usually carry no credential, so keep it
    /// off the public load balancer instead (docs/operations.md).
    /// </summary>
    public bool PrometheusRequiresServiceCredential { get; set; }

    /// <summary>
    /// OTLP endpoint (e.g. <c>http://collector:4318</c>) for metrics and traces; when empty, the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable is used, and without either nothing is exported over OTLP.
    /// Default empty.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: <c>HttpProtobuf</c> or <c>Grpc</c>; empty follows <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (gRPC when unset). Default empty.</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>Export traces of the send path over OTLP (when an endpoint is set). Default true.</summary>
    public bool Tracing { get; set; } = true;

    /// <summary>
    /// Share of new traces recorded, 0 to 1; a caller's sampled or unsampled <c>traceparent</c> is followed whatever
    /// this says. Default 1 (every send).
    /// </summary>
    public double TracesSampleRatio { get; set; } = 1;
}
