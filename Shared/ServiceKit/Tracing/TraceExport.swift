import Logging
import OTel
import ServiceLifecycle
import Storage
import Tracing

/// Traces over OTLP/HTTP (ARCHITECTURE §11), when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set. The standard variables configure the rest:
/// `OTEL_TRACES_SAMPLER` and `_ARG` (default `parentbased_always_on`),
/// `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, or `http/json`), `OTEL_SERVICE_NAME`,
/// `OTEL_BSP_SCHEDULE_DELAY`. Unset, no tracer is bootstrapped: no span is made, nothing
/// connects, and requests cost what they did before tracing existed.
enum TraceExport {
    static let endpointVariables = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]

    /// Whether `environment` asks for traces.
    static func isConfigured(_ environment: [String: String]) -> Bool {
        endpointVariables.contains { !(environment[$0] ?? "").isEmpty }
    }

    /// Bootstraps the tracer and returns the exporter's service (batching, export, flush on
    /// shutdown), which must run with the application; nil when tracing is not configured.
    static func bootstrap(service: String, environment: [String: String], logger: Logger) throws -> (any Service)? {
        guard isConfigured(environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.diagnosticLogger = .custom(logger)
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        // The environment's OTEL_* variables are applied over this by swift-otel.
        let (tracer, exporter) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        Spans.enable()
        return exporter
    }

    /// `traceId` and `spanId` on every log line written inside a traced span.
    static let logMetadata: Logger.MetadataProvider = {
        var keys = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        keys.traceIDKey = "traceId"
        keys.spanIDKey = "spanId"
        keys.traceFlagsKey = "traceFlags"
        return OTel.makeLoggingMetadataProvider(configuration: keys)
    }()
}
