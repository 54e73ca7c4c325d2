import Instrumentation
import Storage
import Tracing

/// The consumer's span for a run of one topic's events, continuing the trace the outbox
/// carried in the messages' headers (docs/events.md): a child of the span that wrote the
/// events when they share one trace context (one event, or several written by one request),
/// otherwise a trace of its own with a link to each.
enum EventSpan {
    static func around<Result>(
        _ headers: [[String: String]], topic: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
    ) async rethrows -> Result {
        guard Spans.enabled else { return try await body() }
        let traced = headers.filter { $0["traceparent"] != nil }
        let parents = Set(traced.compactMap { $0["traceparent"] })
        let parent = parents.count == 1 ? context(traced[0]) : .topLevel
        return try await withSpan("apply \(topic)", context: parent, ofKind: .consumer, isolation: isolation) { span in
            span.attributes["messaging.system"] = "kafka"
            span.attributes["messaging.destination.name"] = topic
            span.attributes["messaging.batch.message_count"] = headers.count
            if parents.count > 1 {
                for carrier in traced { span.addLink(SpanLink(context: context(carrier), attributes: [:])) }
            }
            return try await body()
        }
    }

    private static func context(_ carrier: [String: String]) -> ServiceContext {
        var context = ServiceContext.topLevel
        InstrumentationSystem.instrument.extract(carrier, into: &context, using: DictionaryExtractor())
        return context
    }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
