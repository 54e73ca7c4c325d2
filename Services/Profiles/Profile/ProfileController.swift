import HTTPKit
import Hummingbird

/// `POST/GET/PATCH /profile` (CONTRACT §2). The caller's own profile is cached in Redis; the
/// store drops it after every write commits.
struct ProfileController {
    let store: ProfileStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .post("/profile", use: create)
            .get("/profile", use: profile)
            .patch("/profile", use: update)
    }

    @Sendable func create(_ request: Request, context: CustomerContext) async throws -> Reply<Profile> {
        let changes = try ProfileChanges.forCreate(try await JSONBody(request, context: context))
        let caller = context.caller
        return Reply.created(
            try await store.create(
                caller.userId, changes, tokenEmail: caller.email?.lowercased(), correlationId: context.requestId))
    }

    /// The hot path: the profile's JSON straight from Redis into the response.
    @Sendable func profile(_ request: Request, context: CustomerContext) async throws -> Response {
        guard let json = try await store.cachedProfile(context.caller.userId) else { throw AppError.notFound("Profile not found") }
        return Response.json(json.utf8)
    }

    @Sendable func update(_ request: Request, context: CustomerContext) async throws -> Reply<Profile> {
        let changes = try ProfileChanges.forUpdate(try await JSONBody(request, context: context))
        guard let profile = try await store.update(context.caller.userId, changes, correlationId: context.requestId) else {
            throw AppError.notFound("Profile not found")
        }
        return Reply.ok(profile)
    }
}
