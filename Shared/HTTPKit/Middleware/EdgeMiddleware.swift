import HTTPTypes
import Hummingbird
import Logging
import Metrics
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The outermost layer of every request: it gives the request its id, turns every error
/// into the contract's envelope, and writes the access log and the request metrics.
///
/// Keeping the three together means each sees the final status and the same id, and no
/// response (a 404 for an unknown route, a 413, an unexpected 500) can leave without them.
public struct EdgeMiddleware: RouterMiddleware {
    public typealias Context = AppContext

    public init() {}

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async -> Response {
        var context = context
        let requestId = Self.acceptedRequestId(request.headers[.requestId]) ?? UUID().lowercasedString
        context.requestId = requestId
        // One request id per line: ours (the caller's, which the gateway's log shows too)
        // replaces the one Hummingbird made up.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "requestId"] = .string(requestId)
        if let correlation = request.headers[.correlationId] {
            context.logger[metadataKey: "correlationId"] = .string(correlation)
        }
        let started = ContinuousClock.now

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Self.errorResponse(error, request: request, context: context)
        }
        response.headers[.requestId] = requestId
        // CONTRACT §1: no browser guesses a JSON body's type, and nothing a caller sent
        // credentials for is kept by a shared cache or the browser's.
        response.headers[.contentTypeOptions] = "nosniff"
        if request.headers[.authorization] != nil { response.headers[.cacheControl] = "no-store" }

        let route = context.endpointPath ?? "NotFound"
        let elapsed = ContinuousClock.now - started
        let status = response.status.code
        let handles = RequestMetrics.shared.handles(method: request.method.rawValue, route: route, status: Int(status))
        handles.requests.increment()
        handles.duration.recordNanoseconds(elapsed.nanoseconds)
        context.logger.log(
            level: Self.accessLogLevel(route: route, status: status), "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(status),
                "durationMs": .stringConvertible(elapsed.milliseconds),
            ])
        return response
    }

    /// An orchestrator probes every few seconds and Prometheus scrapes as often, so a probe that
    /// succeeds is logged at `debug`: the access log at `info` shows traffic and failing probes.
    static func accessLogLevel(route: String, status: Int) -> Logger.Level {
        OperationalPaths.contains(route) && status < 400 ? .debug : .info
    }

    /// The contract's envelope for `error`; the CORS layer renders its errors here too.
    static func errorResponse(_ error: any Error, request: Request, context: AppContext) -> Response {
        if let appError = AppError.mapping(error) {
            return appError.response(requestId: context.requestId)
        }
        // Unexpected: the client gets a generic 500; the log gets the detail and the id.
        context.logger.error(
            "unhandled error",
            metadata: [
                "error": .string(String(reflecting: error)),
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
            ])
        return AppError.internalError.response(requestId: context.requestId)
    }

    /// A caller's id is kept when it is short and plain; anything else is replaced.
    static func acceptedRequestId(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({
                $0 < 128 && (isalnum(Int32($0)) != 0 || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "."))
            })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    public static let requestId = HTTPField.Name("X-Request-ID")!
    public static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    public static let correlationId = HTTPField.Name("X-Correlation-ID")!
    public static let realIP = HTTPField.Name("X-Real-IP")!
    public static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    public static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    public static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
    public static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

/// The request counter and timer per method, route and status, created once: looking a
/// metric up in the registry on every request costs more than serving a cached profile.
final class RequestMetrics: Sendable {
    static let shared = RequestMetrics()

    struct Handles: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private let handles = Mutex<[Key: Handles]>([:])

    func handles(method: String, route: String, status: Int) -> Handles {
        let key = Key(method: method, route: route, status: status)
        if let existing = handles.withLock({ $0[key] }) { return existing }
        let created = Handles(
            requests: Counter(label: "http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))]),
            duration: Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)]))
        handles.withLock { $0[key] = created }
        return created
    }
}
