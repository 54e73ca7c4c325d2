import Contracts
import EventBus
import Logging
import PostgresNIO

/// `portal_brochure_requests`: the customer's brochure requests from `brochure.request.created`,
/// once each.
enum PortalBrochureRequests {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.on(Topics.brochureRequestCreated) { event, connection in
            let b = event.payload
            try await connection.query(
                """
                INSERT INTO portal_brochure_requests (request_id, user_id, brochure_type, requested_at)
                VALUES (\(b.requestId), \(b.userId), \(b.brochureType), \(b.requestedAt))
                ON CONFLICT (request_id) DO NOTHING
                """, logger: logger)
        }
    }
}
