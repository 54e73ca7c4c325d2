import EventBus
import HTTPKit
import Hummingbird
import ServiceKit

/// Composition root of the engagement context: its stores made once, and the routes and
/// consumed events that use them.
struct EngagementService: ServiceDefinition {
    static let name = "engagement"
    static let defaultPort = 4012
    static let migrations = EngagementMigrations.all
    /// The wishlist add is a prepared statement; without this Postgres re-plans it on every
    /// execution (a custom plan looks cheaper). Engagement's statements all look rows up by key
    /// or by an indexed column, where a generic plan is the same plan.
    static let databaseSettings = ["plan_cache_mode": "force_generic_plan"]

    let runtime: Runtime
    let wishlists: WishlistStore
    let reviews: ReviewStore

    init(runtime: Runtime) {
        self.runtime = runtime
        wishlists = WishlistStore(runtime: runtime)
        reviews = ReviewStore(runtime: runtime)
    }

    func addRoutes(to routes: RouterGroup<AppContext>) {
        WishlistController(store: wishlists).register(on: routes)
        ReviewController(store: reviews).register(on: routes)
    }

    func eventHandlers() -> EventHandlers {
        var handlers = EventHandlers()
        ReviewerNames.register(on: &handlers, reviews: reviews)
        VerifiedPurchases.register(on: &handlers, reviews: reviews)
        Erasure.register(on: &handlers, wishlists: wishlists)
        DataExport.register(on: &handlers, runtime: runtime, wishlists: wishlists, reviews: reviews)
        return handlers
    }
}
