import HTTPKit
import Storage

/// Composition root of the support context: its schema, migrations and routes.
struct SupportService: ServiceDefinition {
    static let name = "support"
    static let defaultPort = 4013
    static let migrations = SupportMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        // The context's aggregates register their routes here as they are built.
    }
}
