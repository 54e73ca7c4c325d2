import HTTPKit

/// `POST/GET/PATCH /profile` (CONTRACT §2). The caller's own profile is cached in Redis; the
/// store drops it after every write commits.
struct ProfileRoutes {
    let store: ProfileStore
    let cache: Cache

    func register(on routes: RouterGroup<AppContext>) {
        routes.post("/profile") { request, context in
            let principal = try context.customer()
            let changes = try ProfileChanges.forCreate(try await JSONBody(request, context: context))
            let profile = try await store.create(principal.userId, changes, tokenEmail: principal.email?.lowercased(), correlationId: context.requestId)
            return Reply.created(profile)
        }

        routes.get("/profile") { _, context in
            let principal = try context.customer()
            // The hot path: the profile's JSON straight from Redis into the response.
            guard let json = try await cache.fetchJSON(cacheKey(principal.userId), load: { try await store.find(principal.userId) }) else {
                throw AppError.notFound("Profile not found")
            }
            return Response.encoded(data: json)
        }

        routes.patch("/profile") { request, context in
            let principal = try context.customer()
            let changes = try ProfileChanges.forUpdate(try await JSONBody(request, context: context))
            guard let profile = try await store.update(principal.userId, changes, correlationId: context.requestId) else {
                throw AppError.notFound("Profile not found")
            }
            return Reply.ok(profile)
        }
    }

    func cacheKey(_ userId: String) -> String { ProfileStore.cacheKey(userId, cache) }
}
