import Hummingbird

/// CORS for the origins in `ALLOWED_ORIGINS` (comma separated; `*` allows any).
/// Preflight requests are answered here, before routing, so they work for every route.
public struct CORSPolicyMiddleware: RouterMiddleware {
    public typealias Context = AppContext

    let allowedOrigins: Set<String>
    let allowsAny: Bool

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins)
        self.allowsAny = allowedOrigins.contains("*")
    }

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], allowsAny || allowedOrigins.contains(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type, X-Request-ID, Idempotency-Key"
            response.headers[.accessControlMaxAge] = "600"
            decorate(&response, origin: origin)
            return response
        }
        // An error (a 401, a 422) is rendered here, not by the edge, so that it carries the CORS
        // headers too: without them the browser hides the answer from the front end.
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = EdgeMiddleware.errorResponse(error, request: request, context: context)
        }
        decorate(&response, origin: origin)
        return response
    }

    private func decorate(_ response: inout Response, origin: String) {
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.accessControlAllowCredentials] = "true"
        response.headers[.accessControlExposeHeaders] = "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
        response.headers[values: .vary].append("Origin")
    }
}
