import Contracts
import EventBus
import Foundation
import HTTPKit
import Hummingbird
import PostgresNIO
import ServiceKit
import Storage

/// A small service built the way the contexts are, to exercise HTTPKit end to end:
/// a customer-owned widget list, an admin route, a cached read and a route that fails.
struct ProbeService: ServiceDefinition {
    static let name = "probe"
    static let defaultPort = 0
    static let migrations = [
        Migration(
            1, "widgets",
            """
            CREATE TABLE widgets (
                id uuid PRIMARY KEY,
                user_id text NOT NULL,
                name text NOT NULL UNIQUE,
                size int NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """, "CREATE INDEX widgets_user_created ON widgets (user_id, created_at DESC)"),
        Migration(2, "widget events seen", "CREATE TABLE widget_events (widget_id uuid PRIMARY KEY, name text NOT NULL)"),
    ]

    struct WidgetCreated: EventPayload, Equatable {
        let widgetId: UUID
        let name: String
    }

    static let widgetCreated = Topic<WidgetCreated>("probe.widget.created")

    let runtime: Runtime

    init(runtime: Runtime) {
        self.runtime = runtime
    }

    func eventHandlers() -> EventHandlers {
        var handlers = EventHandlers()
        handlers.on(Self.widgetCreated) { event, connection in
            try await connection.query(
                "INSERT INTO widget_events (widget_id, name) VALUES (\(event.payload.widgetId), \(event.payload.name))",
                logger: runtime.logger)
        }
        return handlers
    }

    struct Widget: Codable, Sendable {
        let id: UUID
        let name: String
        let size: Int
        let tags: [String]?
    }

    struct Unexpected: Error, CustomStringConvertible {
        var description: String { #"ERROR: relation "secret_table" does not exist (SQLSTATE 42P01)"# }
    }

    func addRoutes(to routes: RouterGroup<AppContext>) {
        let runtime = self.runtime
        let customers = routes.group(context: CustomerContext.self)
        customers.post("/widgets") { request, context in
            let principal = context.caller
            var body = try await JSONBody(request, context: context)
            let name = body.required("name", .string(1...40))
            let size = body.required("size", .int(1...10))
            let tags = body.optional("tags", .array(of: .string(1...10), maxCount: 3))
            try body.finish()
            let widget = Widget(id: UUID(), name: name, size: size, tags: tags)
            // DatabaseOutageTests' writes say where they are, should one ever not answer.
            let trace = name.hasPrefix("during-")
            if trace { print("widget \(name): before the transaction") }
            defer { if trace { print("widget \(name): after the transaction") } }
            try await runtime.database.transaction { connection in
                if trace { print("widget \(name): connection leased") }
                try await connection.query(
                    "INSERT INTO widgets (id, user_id, name, size) VALUES (\(widget.id), \(principal.userId), \(name), \(size))",
                    logger: runtime.logger)
                try await runtime.outbox.enqueue(
                    Self.widgetCreated, userId: principal.userId, payload: WidgetCreated(widgetId: widget.id, name: name),
                    correlationId: context.requestId, on: connection, logger: runtime.logger)
            }
            return Reply.created(widget)
        }

        customers.get("/widgets") { request, context in
            let principal = context.caller
            var query = QueryParameters(request)
            let page = query.pagination()
            try query.finish()
            let total = try await runtime.database.query(
                "SELECT count(*)::int FROM widgets WHERE user_id = \(principal.userId)"
            ).decode(Int.self).reduce(0) { $0 + $1 }
            var widgets: [Widget] = []
            let rows = try await runtime.database.query(
                """
                SELECT id, name, size FROM widgets WHERE user_id = \(principal.userId)
                ORDER BY created_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """)
            for try await (id, name, size) in rows.decode((UUID, String, Int).self) {
                widgets.append(Widget(id: id, name: name, size: size, tags: nil))
            }
            return Reply.page(widgets, page.meta(total: total))
        }

        routes.group(context: AdminContext.self).get("/admin/widgets/count") { _, _ in
            let count = try await runtime.database.query("SELECT count(*)::int FROM widgets").decode(Int.self).reduce(0) { $0 + $1 }
            return Reply.ok(["count": count])
        }

        routes.get("/cached/:key") { _, context in
            let key = context.parameters.get("key") ?? ""
            let value = try await runtime.cache.fetch(runtime.cache.key("cached", key)) { "loaded-\(key)" }
            return Reply.ok(["value": value ?? ""])
        }

        routes.get("/boom") { _, _ -> Reply<[String: String]> in
            throw Unexpected()
        }
    }
}
