import HTTPKit
import Storage

/// Composition root of the loyalty context: its schema, migrations and routes.
struct LoyaltyService: ServiceDefinition {
    static let name = "loyalty"
    static let defaultPort = 4014
    static let migrations = LoyaltyMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        // The context's aggregates register their routes here as they are built.
    }
}
