import HTTPKit

/// Composition root of the support context: migrations, routes, consumed events, the
/// auto-close job.
struct SupportService: ServiceDefinition {
    static let name = "support"
    static let defaultPort = 4013
    static let migrations = SupportMigrations.all

    static func addRoutes(to routes: RouterGroup<AppContext>, runtime: Runtime) async throws {
        TicketRoutes(store: TicketStore(runtime: runtime)).register(on: routes)
    }

    static func eventHandlers(runtime: Runtime) -> EventHandlers {
        var handlers = EventHandlers()
        Erasure.register(on: &handlers, tickets: TicketStore(runtime: runtime))
        DataExport.register(on: &handlers, runtime: runtime)
        return handlers
    }

    static func jobs(runtime: Runtime) throws -> [Job] {
        let days = try runtime.configuration.environment.int("SUPPORT_AUTO_CLOSE_DAYS", default: 7, range: 1...3650)
        return [CloseResolvedTickets.job(tickets: TicketStore(runtime: runtime), days: days)]
    }
}
