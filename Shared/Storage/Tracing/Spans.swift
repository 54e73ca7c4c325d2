import Synchronization
import Tracing

/// Whether this process exports traces. Spans for statements, cache calls and events are made
/// only then (ServiceKit's `TraceExport` turns it on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set):
/// a service without an exporter pays nothing for them, not even a no-op span.
public enum Spans {
    private static let on = Atomic<Bool>(false)

    public static var enabled: Bool { on.load(ordering: .relaxed) }

    public static func enable() { on.store(true, ordering: .relaxed) }

    /// `body` inside a client span named `name` (a statement, a cache command) when tracing is
    /// on; just `body` otherwise.
    public static func client<Result>(
        _ name: String, system: String, statement: String, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Result
    ) async rethrows -> Result {
        guard enabled else { return try await body() }
        return try await withSpan(name, ofKind: .client, isolation: isolation) { span in
            span.attributes["db.system"] = system
            span.attributes["db.query.text"] = statement
            return try await body()
        }
    }
}
