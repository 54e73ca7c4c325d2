import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// An OTLP/HTTP trace receiver on loopback, as a collector would be: it keeps every span a
/// service exports to `POST /v1/traces` with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`.
public final class OTLPReceiver: Sendable {
    public let port: Int
    private let exports: Exports
    private let server: Task<Void, any Error>

    private final class Exports: Sendable {
        let bodies = Mutex<[Data]>([])
    }

    public init() async throws {
        let port = try freePort()
        let exports = Exports()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            exports.bodies.withLock { $0.append(Data(buffer: body)) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let logger = TestEnvironment.quietLogger
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        // No signal handlers: this runs inside the test process.
        self.server = Task { try await ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger).run() }
        self.port = port
        self.exports = exports
        for _ in 0..<250 where !canConnect(port: port) { try await Task.sleep(for: .milliseconds(20)) }
    }

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public func stop() { server.cancel() }

    /// Every span received so far.
    public var spans: [ReceivedSpan] {
        exports.bodies.withLock { $0 }.flatMap { body -> [ReceivedSpan] in
            guard let export = try? JSONDecoder().decode(Export.self, from: body) else { return [] }
            return export.resourceSpans.flatMap { resource in
                let service = resource.resource?.attributes?.first { $0.key == "service.name" }?.value.stringValue ?? ""
                return (resource.scopeSpans ?? []).flatMap { $0.spans ?? [] }.map { ReceivedSpan($0, service: service) }
            }
        }
    }

    // The OTLP JSON encoding (opentelemetry-proto's JSON mapping), as far as the tests read it.
    struct Export: Decodable { let resourceSpans: [ResourceSpans] }
    struct ResourceSpans: Decodable {
        let resource: Resource?
        let scopeSpans: [ScopeSpans]?
    }
    struct Resource: Decodable { let attributes: [KeyValue]? }
    struct KeyValue: Decodable {
        let key: String
        let value: AnyValue
    }
    struct AnyValue: Decodable { let stringValue: String? }
    struct ScopeSpans: Decodable { let spans: [Span]? }
    struct Link: Decodable {
        let traceId: String
        let spanId: String
    }
    struct Span: Decodable {
        let traceId: String
        let spanId: String
        let parentSpanId: String?
        let name: String
        let kind: Kind?
        let attributes: [KeyValue]?
        let links: [Link]?
    }
    /// A span kind, written as its name (`SPAN_KIND_SERVER`) or its number.
    struct Kind: Decodable {
        let name: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                name = ["UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"][min(max(number, 0), 5)]
            } else {
                name = try container.decode(String.self).replacingOccurrences(of: "SPAN_KIND_", with: "")
            }
        }
    }
}

/// One exported span, its ids as lower-case hex (OTLP's JSON writes them in hex; a protobuf
/// JSON encoder may write base64 instead, which is read too).
public struct ReceivedSpan: Sendable, CustomStringConvertible {
    public let service: String
    public let name: String
    /// `SERVER`, `CLIENT`, `CONSUMER`, `INTERNAL`, …
    public let kind: String
    public let traceId: String
    public let spanId: String
    public let parentSpanId: String?
    public let links: [(traceId: String, spanId: String)]
    public let attributes: [String: String]

    init(_ span: OTLPReceiver.Span, service: String) {
        self.service = service
        self.name = span.name
        self.kind = span.kind?.name ?? "UNSPECIFIED"
        self.traceId = Self.hex(span.traceId, bytes: 16)
        self.spanId = Self.hex(span.spanId, bytes: 8)
        self.parentSpanId = span.parentSpanId.flatMap { $0.isEmpty ? nil : Self.hex($0, bytes: 8) }
        self.links = (span.links ?? []).map { (Self.hex($0.traceId, bytes: 16), Self.hex($0.spanId, bytes: 8)) }
        self.attributes = Dictionary((span.attributes ?? []).compactMap { kv in kv.value.stringValue.map { (kv.key, $0) } }) { first, _ in first }
    }

    public var description: String { "\(service) \(kind) \(name) trace \(traceId) span \(spanId) parent \(parentSpanId ?? "-")" }

    static func hex(_ text: String, bytes: Int) -> String {
        if text.count == bytes * 2, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return text }
        return data.map { String(format: "%02x", $0) }.joined()
    }
}
