import Contracts
import Domain
import EventBus
import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Support's part of a data export (CONTRACT §13): every ticket of the customer, newest
/// first, with its rating and the messages the customer can see. Internal notes are staff
/// working notes and never leave support.
enum DataExport {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        handlers.answerExports(outbox: runtime.outbox, logger: runtime.logger) { userId, connection in
            var tickets = try await TicketStore.tickets(
                connection.query(
                    """
                    SELECT \(unescaped: TicketStore.columns) FROM \(unescaped: TicketStore.source)
                    WHERE t.user_id = \(userId) ORDER BY t.created_at DESC, t.id
                    """, logger: runtime.logger))
            let messages = try await TicketStore.messages(
                connection.query(
                    """
                    SELECT \(unescaped: TicketStore.messageColumns) FROM ticket_messages
                    WHERE ticket_id IN (SELECT id FROM tickets WHERE user_id = \(userId)) AND NOT is_internal
                    ORDER BY created_at, id
                    """, logger: runtime.logger))
            let byTicket = Dictionary(grouping: messages, by: \.ticketId)
            for index in tickets.indices { tickets[index].messages = byTicket[tickets[index].id] ?? [] }
            return .object(["tickets": try JSONValue(encoding: tickets)])
        }
    }
}
