import Auth
import Contracts
import EventBus
import HTTPKit
import Logging
import PostgresNIO
import ServiceKit
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Ticket SQL. Every change of a ticket locks its row, applies `TicketState`'s rules, and
/// writes the ticket, its message and `customer.support_ticket.updated` (when status,
/// priority or assignee changed) in one transaction. Stamps and event times come from the
/// database's clock read under the lock, so one ticket's events are in the order of its
/// changes whichever replica made them.
struct TicketStore: Sendable {
    let runtime: Runtime
    /// Makes ticket references; tests replace it to force a collision.
    var newRef: @Sendable () -> String = TicketRef.random
    var logger: Logger { runtime.logger }

    static let columns = """
        t.id, t.ticket_ref, t.user_id, t.subject, t.category, t.priority, t.status, t.assigned_to, t.order_id,
        t.first_response_at, t.resolved_at, t.closed_at, r.rating, r.comment, r.rated_at, t.created_at, t.updated_at
        """
    static let source = "tickets t LEFT JOIN ticket_ratings r ON r.ticket_id = t.id"
    static let messageColumns = "id, ticket_id, sender_type, sender_id, message, is_internal, created_at"

    // MARK: Reading

    struct Filters: Sendable {
        var userId: String?
        var status: Ticket.Status?
        var priority: Ticket.Priority?
        var category: Ticket.Category?
        var assignedTo: String?
    }

    /// Where a customer's own list (`GET /support/tickets`) is cached: one entry per filter and
    /// page, all in the customer's group, which every change of one of their tickets drops.
    func listGroup(_ userId: String) -> String { runtime.cache.key("tickets", userId) }

    func listKey(_ filters: Filters, page: Pagination) -> String {
        let parts = [filters.status?.rawValue, filters.priority?.rawValue, filters.category?.rawValue].map { $0 ?? "-" }
        return listGroup(filters.userId ?? "-") + ":" + parts.joined(separator: ":") + ":\(page.page):\(page.limit)"
    }

    /// A customer's own list (`filters.userId` is theirs) as its finished body, from Redis or
    /// loaded and kept in the customer's group.
    func cachedList(
        of userId: String, _ filters: Filters, page: Pagination, load: () async throws -> SuccessBody<some Encodable & Sendable>
    ) async throws -> String {
        try await runtime.cache.body(listKey(filters, page: page), group: listGroup(userId), load: load)
    }

    /// Drops the customer's cached lists once the surrounding transaction commits.
    func dropCachedLists(of userId: String) async {
        await runtime.cache.invalidateAfterCommit([listGroup(userId)])
    }

    /// Tickets matching every filter given, newest first. Only the filters given become
    /// conditions, so each query can use the index for them (`x IS NULL OR col = x` would
    /// leave a generic plan scanning every ticket).
    func list(_ filters: Filters, page: Pagination) async throws -> ([Ticket], Int) {
        var conditions = "true"
        var binds = PostgresBindings()
        for (column, value) in [
            ("t.user_id", filters.userId), ("t.status", filters.status?.rawValue), ("t.priority", filters.priority?.rawValue),
            ("t.category", filters.category?.rawValue), ("t.assigned_to", filters.assignedTo),
        ] {
            guard let value else { continue }
            binds.append(value)
            conditions += " AND \(column) = $\(binds.count)"
        }
        async let total = runtime.database.query(
            PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM tickets t WHERE \(conditions)", binds: binds)
        ).value(Int.self)
        let tickets = try await Self.tickets(
            runtime.database.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(Self.columns) FROM \(Self.source) WHERE \(conditions)
                        ORDER BY t.created_at DESC, t.id LIMIT \(page.limit) OFFSET \(page.offset)
                        """,
                    binds: binds)))
        return (tickets, try await total ?? 0)
    }

    func find(_ id: UUID) async throws -> Ticket? {
        try await Self.tickets(runtime.database.query("SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.source) WHERE t.id = \(id)")).first
    }

    /// A ticket's messages, oldest first; internal notes only for staff.
    func messages(of ticketId: UUID, includingInternal: Bool) async throws -> [Message] {
        try await Self.messages(
            runtime.database.query(
                """
                SELECT \(unescaped: Self.messageColumns) FROM ticket_messages
                WHERE ticket_id = \(ticketId) AND (\(includingInternal) OR NOT is_internal)
                ORDER BY created_at, id
                """))
    }

    // MARK: Changing

    /// An OPEN ticket with the customer's first message and `customer.support_ticket.created`,
    /// in one autocommitted statement. A reference already taken is retried with a new one;
    /// the caller never sees the collision.
    func create(_ userId: String, _ new: NewTicket, correlationId: String) async throws -> Ticket {
        for _ in 0..<5 {
            let id = UUID()
            let ref = newRef()
            let now = Date()
            var events = OutboxRows()
            try runtime.outbox.add(
                Topics.supportTicketCreated, userId: userId,
                payload: SupportTicketCreated(
                    ticketId: id, ticketRef: ref, userId: userId, subject: new.subject, category: new.category,
                    priority: new.priority, status: .open, createdAt: now),
                correlationId: correlationId, occurredAt: now, to: &events)
            do {
                let ticket = try await runtime.database.query(
                    """
                    WITH t AS (
                        INSERT INTO tickets (id, ticket_ref, user_id, subject, category, priority, order_id, created_at, updated_at)
                        VALUES (\(id), \(ref), \(userId), \(new.subject), \(new.category.rawValue), \(new.priority.rawValue), \(new.orderId),
                            \(now), \(now))
                        RETURNING *
                    ), m AS (
                        INSERT INTO ticket_messages (id, ticket_id, sender_type, sender_id, message)
                        VALUES (\(UUID()), \(id), 'CUSTOMER', \(userId), \(new.message))
                    ), events AS (\(outboxInsert: events))
                    SELECT \(unescaped: Self.columns) FROM t LEFT JOIN ticket_ratings r ON false
                    """, read: Self.tickets)[0]
                await runtime.outbox.wakeRelayAfterCommit()
                await dropCachedLists(of: userId)
                return ticket
            } catch StorageError.uniqueViolation(let constraint) where constraint.contains("ticket_ref") {
                continue
            }
        }
        throw AppError.internalError
    }

    /// Staff changes of status, priority and assignee; 404 for an unknown ticket, 409 for a
    /// closed one.
    func update(_ id: UUID, _ changes: TicketChanges, correlationId: String) async throws -> Ticket {
        try await runtime.database.transaction { connection in
            guard let locked = try await lock(id, on: connection) else { throw AppError.notFound("Ticket not found") }
            var next = locked
            if let status = changes.status {
                next.state = try locked.state.changed(to: status, at: locked.now)
            } else if locked.state.status == .closed {
                throw AppError.invalidState("The ticket is closed")
            }
            next.priority = changes.priority ?? locked.priority
            next.assignedTo = changes.assignedTo.applied(to: locked.assignedTo)
            try await save(next, after: locked, correlationId: correlationId, on: connection)
            return try await Self.tickets(
                connection.query(
                    "SELECT \(unescaped: Self.columns) FROM \(unescaped: Self.source) WHERE t.id = \(id)", logger: logger))[0]
        }
    }

    /// A message from the ticket's owner or from staff, with its effect on the ticket. A
    /// customer's message on someone else's ticket is a 404.
    func add(_ new: NewMessage, to id: UUID, from principal: Principal, correlationId: String) async throws -> Message {
        let staff = principal.role.isStaff
        return try await runtime.database.transaction { connection in
            guard let locked = try await lock(id, on: connection), staff || principal.owns(locked.userId) else {
                throw AppError.notFound("Ticket not found")
            }
            var next = locked
            next.state = try locked.state.afterMessage(fromStaff: staff, isInternal: new.isInternal, at: locked.now)
            let message = try await Self.messages(
                connection.query(
                    """
                    INSERT INTO ticket_messages (id, ticket_id, sender_type, sender_id, message, is_internal)
                    VALUES (\(UUID()), \(id), \(staff ? Message.Sender.agent.rawValue : Message.Sender.customer.rawValue), \(principal.userId),
                        \(new.message), \(new.isInternal))
                    RETURNING \(unescaped: Self.messageColumns)
                    """, logger: logger))[0]
            // An internal note changes nothing a customer sees, not even `updatedAt`.
            if !new.isInternal { try await save(next, after: locked, correlationId: correlationId, on: connection) }
            return message
        }
    }

    /// The owner's rating of a RESOLVED or CLOSED ticket, once.
    func rate(_ id: UUID, by userId: String, _ new: NewRating) async throws -> Ticket.Rating {
        try await runtime.database.transaction { connection in
            guard let locked = try await lock(id, on: connection), UserID(locked.userId) == UserID(userId) else {
                throw AppError.notFound("Ticket not found")
            }
            guard locked.state.status == .resolved || locked.state.status == .closed else {
                throw AppError.invalidState("Only a resolved or closed ticket can be rated")
            }
            for try await (rating, comment, ratedAt) in try await connection.query(
                """
                INSERT INTO ticket_ratings (ticket_id, rating, comment) VALUES (\(id), \(new.rating), \(new.comment))
                ON CONFLICT (ticket_id) DO NOTHING RETURNING rating, comment, rated_at
                """, logger: logger
            ).decode((Int, String?, Date).self) {
                await dropCachedLists(of: userId)
                return Ticket.Rating(rating: rating, comment: comment, ratedAt: ratedAt)
            }
            throw AppError.conflict("The ticket is already rated")
        }
    }

    /// Closes a ticket RESOLVED at or before `cutoff` with a SYSTEM message saying why; false
    /// when it no longer is (a customer replied, or another run closed it).
    func autoClose(_ id: UUID, resolvedBefore cutoff: Date, days: Int, correlationId: String) async throws -> Bool {
        try await runtime.database.transaction { connection in
            guard let locked = try await lock(id, on: connection), locked.state.status == .resolved,
                let resolvedAt = locked.state.resolvedAt, resolvedAt <= cutoff
            else { return false }
            try await close(
                locked, saying: "This ticket was closed automatically: it was resolved \(days) days ago without a reply from the customer.",
                correlationId: correlationId, on: connection)
            return true
        }
    }

    /// Closes a locked ticket that is not closed yet, with a SYSTEM message saying why.
    func close(_ locked: Locked, saying why: String, correlationId: String, on connection: PostgresConnection) async throws {
        var next = locked
        next.state = try locked.state.changed(to: .closed, at: locked.now)
        try await connection.query(
            """
            INSERT INTO ticket_messages (id, ticket_id, sender_type, sender_id, message)
            VALUES (\(UUID()), \(locked.id), 'SYSTEM', 'system', \(why))
            """, logger: logger)
        try await save(next, after: locked, correlationId: correlationId, on: connection)
    }

    // MARK: The locked row

    /// What a change reads of a ticket under its row lock, and the database's clock then.
    struct Locked: Sendable {
        let id: UUID
        let ticketRef: String
        let userId: String
        var subject: String
        var priority: Ticket.Priority
        var assignedTo: String?
        var state: TicketState
        var now: Date
    }

    func lock(_ id: UUID, on connection: PostgresConnection) async throws -> Locked? {
        for try await (ref, userId, subject, priority, assignedTo, status, firstResponse, resolved, closed, now) in try await connection.query(
            """
            SELECT ticket_ref, user_id, subject, priority, assigned_to, status, first_response_at, resolved_at, closed_at, clock_timestamp()
            FROM tickets WHERE id = \(id) FOR UPDATE
            """, logger: logger
        ).decode((String, String, String, String, String?, String, Date?, Date?, Date?, Date).self) {
            return Locked(
                id: id, ticketRef: ref, userId: userId, subject: subject, priority: try .stored(priority), assignedTo: assignedTo,
                state: TicketState(status: try .stored(status), firstResponseAt: firstResponse, resolvedAt: resolved, closedAt: closed),
                now: now)
        }
        return nil
    }

    /// Writes `next` and, when its status, priority or assignee differ from `before`'s,
    /// publishes `customer.support_ticket.updated`.
    func save(_ next: Locked, after before: Locked, correlationId: String, on connection: PostgresConnection) async throws {
        let s = next.state
        try await connection.query(
            """
            UPDATE tickets SET status = \(s.status.rawValue), priority = \(next.priority.rawValue), assigned_to = \(next.assignedTo),
                subject = \(next.subject), first_response_at = \(s.firstResponseAt), resolved_at = \(s.resolvedAt),
                closed_at = \(s.closedAt), updated_at = \(next.now)
            WHERE id = \(next.id)
            """, logger: logger)
        await dropCachedLists(of: next.userId)
        let changed =
            s.status != before.state.status || next.priority != before.priority
            || next.assignedTo.map(UserID.init) != before.assignedTo.map(UserID.init)
            || next.subject != before.subject
        guard changed else { return }
        try await runtime.outbox.enqueue(
            Topics.supportTicketUpdated, userId: next.userId,
            payload: SupportTicketUpdated(
                ticketId: next.id, ticketRef: next.ticketRef, userId: next.userId, subject: next.subject, status: s.status,
                priority: next.priority, assignedTo: next.assignedTo, updatedAt: next.now),
            correlationId: correlationId, occurredAt: next.now, on: connection, logger: logger)
    }

    // MARK: Rows

    static func tickets(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Ticket] {
        var tickets: [Ticket] = []
        for try await (
            id, ref, userId, subject, category, priority, status, assignedTo, orderId, firstResponse, resolved, closed,
            rating, comment, ratedAt, createdAt, updatedAt
        )
            in rows.decode(
                (
                    UUID, String, String, String, String, String, String, String?, String?, Date?, Date?, Date?,
                    Int?, String?, Date?, Date, Date
                ).self)
        {
            tickets.append(
                Ticket(
                    id: id, ticketRef: ref, userId: userId, subject: subject, category: try .stored(category), priority: try .stored(priority),
                    status: try .stored(status),
                    assignedTo: assignedTo, orderId: orderId, firstResponseAt: firstResponse, resolvedAt: resolved, closedAt: closed,
                    rating: rating.flatMap { rating in ratedAt.map { Ticket.Rating(rating: rating, comment: comment, ratedAt: $0) } },
                    createdAt: createdAt, updatedAt: updatedAt))
        }
        return tickets
    }

    static func messages(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Message] {
        var messages: [Message] = []
        for try await (id, ticketId, sender, senderId, text, isInternal, createdAt)
            in rows.decode((UUID, UUID, String, String, String, Bool, Date).self)
        {
            messages.append(
                Message(
                    id: id, ticketId: ticketId, senderType: try .stored(sender), senderId: senderId, message: text, isInternal: isInternal,
                    createdAt: createdAt))
        }
        return messages
    }
}
