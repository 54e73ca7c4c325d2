import EventBus
import HTTPKit
import Hummingbird
import ServiceKit

/// Composition root of the support context: its settings read once, its store made once, and
/// the routes, consumed events and the auto-close job that use them.
struct SupportService: ServiceDefinition {
    static let name = "support"
    static let defaultPort = 4013
    static let migrations = SupportMigrations.all

    let runtime: Runtime
    let tickets: TicketStore
    /// A RESOLVED ticket closes after this many days without a message (`SUPPORT_AUTO_CLOSE_DAYS`).
    let autoCloseDays: Int

    init(runtime: Runtime) throws {
        self.runtime = runtime
        tickets = TicketStore(runtime: runtime)
        autoCloseDays = try runtime.configuration.environment.int("SUPPORT_AUTO_CLOSE_DAYS", default: 7, range: 1...3650)
    }

    func addRoutes(to routes: RouterGroup<AppContext>) {
        TicketController(store: tickets).register(on: routes)
    }

    func eventHandlers() -> EventHandlers {
        var handlers = EventHandlers()
        Erasure.register(on: &handlers, tickets: tickets)
        DataExport.register(on: &handlers, runtime: runtime)
        return handlers
    }

    func jobs() -> [Job] {
        [CloseResolvedTickets.job(tickets: tickets, days: autoCloseDays)]
    }
}
