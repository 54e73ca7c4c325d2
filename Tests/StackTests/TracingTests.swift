import Contracts
import EventBus
import Foundation
import TestSupport
import Testing

/// One trace from an HTTP request through the outbox and Kafka into the context that consumes
/// its event (CONTRACT §11, docs/events.md): engagement and profiles started by the test, each
/// in a schema of its own, exporting to the test's OTLP/HTTP receiver over a broker of the
/// test's own (so the stack's consumers take no part).
@Suite(.needsStack) struct TracingTests {
    static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    @Test func aWishlistAddIsOneTraceFromTheRequestToTheConsumerInProfiles() async throws {
        let receiver = try await OTLPReceiver()
        defer { receiver.stop() }
        let cluster = try await onAThreadOfItsOwn { Result { try MockKafkaCluster(topics: Topics.allNames, partitions: 3) } }.get()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("tracing-\(suffix)").path
        func environment(_ context: String) -> [String: String] {
            [
                "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": "trace_\(context)_\(suffix)",
                "REDIS_URL": TestEnvironment.redisURL, "JWT_SECRET": TestEnvironment.jwtSecret,
                "KAFKA_BROKERS": cluster.bootstrapServers, "RATE_LIMIT_MAX_REQUESTS": "0", "LOG_LEVEL": "info", "LOG_FORMAT": "json",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            ]
        }
        let engagement = try await ChildProcess.service("engagement", environment: environment("engagement"), log: logs + "-engagement.log")
        defer { engagement.stop() }
        let profiles = try await ChildProcess.service("profiles", environment: environment("profiles"), log: logs + "-profiles.log")
        defer { profiles.stop() }

        let traceId = Self.randomHex(bytes: 16)
        let callerSpan = Self.randomHex(bytes: 8)
        let api = API.gateway(base: "http://127.0.0.1:\(engagement.port)")
        let added = try await api.post(
            "/wishlist/items", as: TestEnvironment.uniqueUser(), body: ["productId": "traced-oak", "category": "KITCHEN"],
            headers: [.init("traceparent")!: "00-\(traceId)-\(callerSpan)-01"])
        #expect(added.status == .created)

        var spans: [ReceivedSpan] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            spans = receiver.spans.filter { $0.traceId == traceId }
            if spans.contains(where: { $0.service == "profiles" && $0.name == "apply customer.wishlist.updated" }) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let described = spans.map(\.description).joined(separator: "\n")

        // engagement: the request continues the caller's trace, and its statement is a child.
        let request = try #require(spans.first { $0.service == "engagement" && $0.kind == "SERVER" }, "\(described)")
        #expect(request.parentSpanId == callerSpan)
        #expect(request.name == "/v1/customers/wishlist/items")
        let statement = spans.first { $0.service == "engagement" && $0.name == "db.query" && $0.parentSpanId == request.spanId }
        #expect(statement?.kind == "CLIENT", "\(described)")
        #expect(statement?.attributes["db.system"] == "postgresql")
        // profiles: the consumer's work on the event is a child of the span that wrote it.
        let consumed = try #require(
            spans.first { $0.service == "profiles" && $0.name == "apply customer.wishlist.updated" }, "\(described)")
        #expect(consumed.kind == "CONSUMER")
        let engagementSpans = Set(spans.filter { $0.service == "engagement" }.map(\.spanId))
        #expect(consumed.parentSpanId.map(engagementSpans.contains) == true, "\(described)")
        #expect(consumed.attributes["messaging.destination.name"] == "customer.wishlist.updated")

        // The access line of the traced request carries its trace id, and its numbers are numbers.
        let lines = try String(contentsOfFile: logs + "-engagement.log", encoding: .utf8).split(separator: "\n")
        let access = try #require(
            lines.compactMap { try? JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
                .first { $0["message"] == "request" && $0["traceId"] == .string(traceId) },
            "an access line with traceId \(traceId)")
        #expect(access["status"] == .int(201))
        // One request id per line: the service's, not Hummingbird's beside it.
        #expect(access["requestId"] != nil && access["hb.request.id"] == nil, "\(access)")
        #expect(access["spanId"] == .string(request.spanId))
        if case .string = access["durationMs"] { Issue.record("durationMs is a string: \(access)") }

        engagement.stop()
        profiles.stop()
        await onAThreadOfItsOwn { cluster.shutdown() }
    }

    /// The stack's services run without OTEL_EXPORTER_OTLP_ENDPOINT: a traced request through
    /// the gateway is served, and nothing connects to an OTLP receiver at the default address.
    @Test func withoutAnEndpointNothingIsExportedAndNothingConnects() async throws {
        let listener = try #require(LoopbackListener(port: 4318), "127.0.0.1:4318 is free for the test")
        defer { listener.close() }
        let traceparent = "00-\(Self.randomHex(bytes: 16))-\(Self.randomHex(bytes: 8))-01"
        let added = try await gateway.post(
            "/wishlist/items", as: TestEnvironment.uniqueUser(), body: ["productId": "untraced-oak", "category": "KITCHEN"],
            headers: [.init("traceparent")!: traceparent])
        #expect(added.status == .created)
        // Longer than the exporter's default batch delay (5 s), had one been bootstrapped.
        try await Task.sleep(for: .seconds(6))
        #expect(listener.pendingConnections == 0)
    }
}
