import Contracts
import HTTPKit
import Hummingbird
import Metrics

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A dependency check for `GET /health/ready`. The database is required (503 without
/// it); Redis and Kafka only degrade the service.
public struct ReadinessCheck: Sendable {
    public enum Outcome: String, Sendable, Encodable { case ok, down, disabled }

    public let name: String
    public let required: Bool
    public let check: @Sendable () async -> Outcome

    public init(name: String, required: Bool, check: @escaping @Sendable () async -> Outcome) {
        self.name = name
        self.required = required
        self.check = check
    }
}

/// `/health`, `/health/ready` and `/metrics` (CONTRACT §11), outside `/v1/customers`.
struct OperationalRoutes: Sendable {
    let service: String
    let version: String
    let started = ContinuousClock.now
    let checks: [ReadinessCheck]
    /// Seconds the oldest unpublished outbox row has waited; nil until the event bus
    /// reports one.
    let outboxLag: @Sendable () async -> Double?
    /// Measured at each scrape, so that an alert sees the state now, even when the relay is stuck.
    let ready = Gauge(label: "service_ready")
    let lag = Gauge(label: "outbox_lag_seconds")

    struct Health: Encodable {
        let status = "ok"
        let service: String
        let version: String
        let uptimeSeconds: Int
    }

    struct Ready: Encodable {
        let status: String
        let checks: [String: ReadinessCheck.Outcome]
        /// Always present (null until the event bus reports one), as CONTRACT §11 shows.
        @Nullable var outboxLag: Double?
    }

    func register(on router: Router<AppContext>) {
        router.get("/health") { _, _ in
            Response.json(
                try JSONCoding.encoder.encode(
                    Health(
                        service: service, version: version,
                        uptimeSeconds: Int((ContinuousClock.now - started).components.seconds))))
        }
        router.get("/health/ready") { _, _ in
            let ready = await readiness()
            let status: HTTPResponse.Status = ready.status == "unavailable" ? .serviceUnavailable : .ok
            return Response.json(status: status, try JSONCoding.encoder.encode(ready))
        }
        router.get("/metrics") { _, _ in
            let now = await readiness()
            ready.record(now.status == "unavailable" ? 0 : 1)
            if let outboxLag = now.outboxLag { lag.record(outboxLag) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PrometheusMetrics.exposition()))
            )
        }
    }

    func readiness() async -> Ready {
        let outcomes = await withTaskGroup(of: (ReadinessCheck, ReadinessCheck.Outcome).self) { group in
            for check in checks { group.addTask { (check, await check.check()) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let requiredDown = outcomes.contains { $0.0.required && $0.1 == .down }
        let anyDown = outcomes.contains { $0.1 == .down }
        return Ready(
            status: requiredDown ? "unavailable" : anyDown ? "degraded" : "ok",
            checks: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.0.name, $0.1) }),
            outboxLag: await outboxLag()
        )
    }
}
