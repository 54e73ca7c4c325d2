import HTTPKit

/// Composition root of the engagement context: migrations, routes, consumed events.
struct EngagementService: ServiceDefinition {
    static let name = "engagement"
    static let defaultPort = 4012
    static let migrations = EngagementMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        WishlistRoutes(store: WishlistStore(runtime: runtime)).register(on: routes)
        ReviewRoutes(store: ReviewStore(runtime: runtime)).register(on: routes)
    }

    static func eventHandlers(runtime: Runtime) -> EventHandlers {
        let reviews = ReviewStore(runtime: runtime)
        var handlers = EventHandlers()
        ReviewerNames.register(on: &handlers, reviews: reviews)
        VerifiedPurchases.register(on: &handlers, reviews: reviews)
        Erasure.register(on: &handlers, wishlists: WishlistStore(runtime: runtime))
        return handlers
    }
}
