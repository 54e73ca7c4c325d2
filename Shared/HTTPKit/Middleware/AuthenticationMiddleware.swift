import Auth
import Hummingbird

/// Verifies a bearer token, if the request has one, and records the outcome in the
/// context. It refuses nothing itself: a route's group decides, by making its `CallerContext`
/// once the route has matched, so public routes ignore tokens and unknown routes stay 404
/// without one.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = AppContext

    let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        var context = context
        if header.count > 7, header.prefix(7).lowercased() == "bearer " {
            do {
                let principal = try await verifier.verify(String(header.dropFirst(7)))
                context.auth = .authenticated(principal)
                context.logger[metadataKey: "userId"] = .string(principal.userId)
            } catch {
                if case .unauthenticated(let reason) = error { context.auth = .rejected(reason) }
            }
        } else {
            context.auth = .rejected("Authorization must be a Bearer token")
        }
        return try await next(request, context)
    }
}
