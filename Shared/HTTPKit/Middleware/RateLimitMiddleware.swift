import Hummingbird

/// Applies the `RateLimiter` per verified user id, or per client address for anonymous
/// callers, and reports the window in `RateLimit-*` headers; over the limit, a 429 with
/// `Retry-After`. Health and metrics endpoints are not limited.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = AppContext

    let limiter: RateLimiter

    public init(limiter: RateLimiter) {
        self.limiter = limiter
    }

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard limiter.isEnabled, !OperationalPaths.contains(request.uri.path) else { return try await next(request, context) }
        let key: String
        if let principal = context.auth.principal {
            key = "u:" + principal.userId
        } else {
            // Services listen on private addresses behind the gateway, which sets X-Real-IP.
            key = "ip:" + (request.headers[.realIP] ?? context.peerAddress ?? "unknown")
        }
        let decision = await limiter.hit(key)
        guard decision.allowed else {
            var error = AppError(.tooManyRequests, code: "RATE_LIMIT_EXCEEDED", message: "Too many requests, retry later")
            error.headers = headers(decision)
            error.headers[.retryAfter] = String(decision.resetSeconds)
            throw error
        }
        var response = try await next(request, context)
        for field in headers(decision) { response.headers[field.name] = field.value }
        return response
    }

    private func headers(_ decision: RateLimiter.Decision) -> HTTPFields {
        [
            .rateLimitLimit: String(decision.limit),
            .rateLimitRemaining: String(decision.remaining),
            .rateLimitReset: String(decision.resetSeconds),
        ]
    }
}
