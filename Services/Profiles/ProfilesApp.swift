import HTTPKit

/// Composition root of the profiles context: migrations, routes, consumed events.
struct ProfilesService: ServiceDefinition {
    static let name = "profiles"
    static let defaultPort = 4011
    static let migrations = ProfilesMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        ProfileRoutes(store: ProfileStore(runtime: runtime), cache: runtime.cache).register(on: routes)
        AddressRoutes(store: AddressStore(database: runtime.database, logger: runtime.logger)).register(on: routes)
        PreferencesRoutes(store: PreferencesStore(runtime: runtime)).register(on: routes)
    }

    static func eventHandlers(runtime: Runtime) -> EventHandlers {
        var handlers = EventHandlers()
        UserCreatedHandler.register(on: &handlers, runtime: runtime)
        return handlers
    }
}
