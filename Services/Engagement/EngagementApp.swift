import HTTPKit

/// Composition root of the engagement context: migrations, routes, consumed events.
struct EngagementService: ServiceDefinition {
    static let name = "engagement"
    static let defaultPort = 4012
    static let migrations = EngagementMigrations.all
    /// The wishlist add is a prepared statement; without this Postgres re-plans it on every
    /// execution (a custom plan looks cheaper). Engagement's statements all look rows up by key
    /// or by an indexed column, where a generic plan is the same plan.
    static let databaseSettings = ["plan_cache_mode": "force_generic_plan"]

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
        DataExport.register(on: &handlers, runtime: runtime, wishlists: WishlistStore(runtime: runtime), reviews: reviews)
        return handlers
    }
}
