import HTTPKit
import Storage

/// Composition root of the engagement context: its schema, migrations and routes.
struct EngagementService: ServiceDefinition {
    static let name = "engagement"
    static let defaultPort = 4012
    static let migrations = EngagementMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        // The context's aggregates register their routes here as they are built.
    }
}
