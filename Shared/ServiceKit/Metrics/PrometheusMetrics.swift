import CoreMetrics
import Prometheus

/// The process's metrics registry. swift-metrics is bootstrapped with it once per process
/// (tests build many applications in one process), before any handle is made: a `Counter`
/// made earlier binds to the no-op factory for good and never appears on `/metrics`.
public enum PrometheusMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DocumentedMetricsFactory(registry: registry))
        let build = BuildVersion.current
        let info = MetricNameDescriptor(
            metricName: "build_info", unitName: "", helpText: "Always 1; its labels are the running build's version and commit.")
        registry.makeGauge(descriptor: info, labels: [("version", build.version), ("commit", build.commit)]).set(to: 1.0)
        return registry
    }()

    /// Makes sure swift-metrics is bootstrapped; call before making metric handles.
    public static func bootstrap() { _ = registry }

    /// The exposition text served by `GET /metrics`: the registry's metrics, then the process's.
    public static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        ProcessMetrics.read().emit(into: &buffer)
        return buffer
    }
}

/// Gives each metric of CONTRACT §11 its `# HELP` line. swift-prometheus's own factory writes
/// none, and its registry refuses two help texts for one name, so the text must come from
/// here for every handle of that name.
struct DocumentedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    static let help: [String: String] = [
        "http_requests_total": "HTTP requests answered, by method, route template and status.",
        "http_request_duration_seconds": "Time from a request's arrival to its response, by method and route template.",
        "events_published_total": "Events the outbox relay published to Kafka, by topic.",
        "events_consumed_total": "Events applied by this context's consumer, by topic (duplicates excluded).",
        "events_duplicate_total": "Events skipped because the inbox had already applied their id, by topic.",
        "events_dead_lettered_total": "Events sent to <topic>.dlq (undecodable, or failing every retry), by topic.",
        "event_handler_duration_seconds": "Time to apply a batch of one topic's events in the consumer's transaction, by topic.",
        "outbox_lag_seconds": "Seconds the oldest unpublished outbox row had waited at the relay's last round; 0 when drained.",
        "db_pool_connections": "Database connections: in_use is leased by this process now, max is the pool's limit.",
        "service_ready": "1 when GET /health/ready answers 200, 0 when it answers 503; measured at each scrape.",
    ]

    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private func named(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: Self.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: named(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: named(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: named(label), labels: dimensions) }
        return registry.makeValueHistogram(
            descriptor: named(label), labels: dimensions, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100])
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: named(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: named(label), labels: dimensions, buckets: Self.durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? Histogram<Double> { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}
