import Contracts
import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/support/tickets` (CONTRACT §7). Customers work with their own tickets; staff (agents and
/// admins) see and work all of them. Another customer's ticket is a 404, never a 403.
struct TicketController {
    let store: TicketStore

    struct Listing: Codable, Sendable { let tickets: [Ticket] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .post("/support/tickets", use: create)
            .get("/support/tickets", use: list)
            .get("/support/tickets/:id", use: ticket)
            .post("/support/tickets/:id/messages", use: addMessage)
            .post("/support/tickets/:id/rating", use: rate)
        routes.group(context: StaffContext.self)
            .patch("/support/tickets/:id", use: update)
    }

    @Sendable func create(_ request: Request, context: CustomerContext) async throws -> Reply<Ticket> {
        let new = try NewTicket.read(try await JSONBody(request, context: context))
        return Reply.created(try await store.create(context.caller.userId, new, correlationId: context.requestId))
    }

    /// Customers see their own tickets (cached); staff see everyone's, filtered.
    @Sendable func list(_ request: Request, context: CustomerContext) async throws -> Response {
        let caller = context.caller
        var query = QueryParameters(request)
        var filters = TicketStore.Filters(
            status: query.optional("status", .oneOf(Ticket.Status.self)),
            priority: query.optional("priority", .oneOf(Ticket.Priority.self)),
            category: query.optional("category", .oneOf(Ticket.Category.self)))
        // Validated for everyone (an invalid parameter is a 422 whoever sends it), applied
        // for staff only: customers see their own tickets whatever they ask for.
        let userId = query.optional("userId", .string(1...128))
        let assignedTo = query.optional("assignedTo", .string(1...128))
        if caller.role.isStaff {
            filters.userId = userId
            filters.assignedTo = assignedTo
        } else {
            filters.userId = caller.userId
        }
        let page = query.pagination()
        try query.finish()
        let list = { () async throws -> SuccessBody<Listing> in
            let (tickets, total) = try await store.list(filters, page: page)
            return SuccessBody(Listing(tickets: tickets), meta: page.meta(total: total))
        }
        // A customer's own list is cached; staff views are not (they span customers).
        guard !caller.role.isStaff else { return Response.json(try JSONCoding.encoder.encode(try await list())) }
        return Response.json(try await store.cachedList(of: caller.userId, filters, page: page, load: list).utf8)
    }

    @Sendable func ticket(_ request: Request, context: CustomerContext) async throws -> Reply<Ticket> {
        let caller = context.caller
        let id = try context.resourceId(notFound: "Ticket not found")
        guard var ticket = try await store.find(id), caller.role.isStaff || caller.owns(ticket.userId) else {
            throw AppError.notFound("Ticket not found")
        }
        ticket.messages = try await store.messages(of: id, includingInternal: caller.role.isStaff)
        return Reply.ok(ticket)
    }

    @Sendable func update(_ request: Request, context: StaffContext) async throws -> Reply<Ticket> {
        let id = try context.resourceId(notFound: "Ticket not found")
        let changes = try TicketChanges.read(try await JSONBody(request, context: context))
        return Reply.ok(try await store.update(id, changes, correlationId: context.requestId))
    }

    @Sendable func addMessage(_ request: Request, context: CustomerContext) async throws -> Reply<Message> {
        let id = try context.resourceId(notFound: "Ticket not found")
        let new = try NewMessage.read(try await JSONBody(request, context: context))
        if new.isInternal, !context.caller.role.isStaff { throw AppError.forbidden("Only staff can write internal notes") }
        return Reply.created(try await store.add(new, to: id, from: context.caller, correlationId: context.requestId))
    }

    @Sendable func rate(_ request: Request, context: CustomerContext) async throws -> Reply<Ticket.Rating> {
        let id = try context.resourceId(notFound: "Ticket not found")
        let rating = try NewRating.read(try await JSONBody(request, context: context))
        return Reply.created(try await store.rate(id, by: context.caller.userId, rating))
    }
}
