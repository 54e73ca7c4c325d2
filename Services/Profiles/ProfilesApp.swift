import HTTPKit
import Storage

/// Composition root of the profiles context: its schema, migrations and routes.
struct ProfilesService: ServiceDefinition {
    static let name = "profiles"
    static let defaultPort = 4011
    static let migrations = ProfilesMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        // The context's aggregates register their routes here as they are built.
    }
}
