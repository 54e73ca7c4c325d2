#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/support/tickets` (CONTRACT §7). Customers work with their own tickets; staff (agents and
/// admins) see and work all of them. Another customer's ticket is a 404, never a 403.
struct TicketRoutes {
    let store: TicketStore

    struct Listing: Encodable, Sendable { let tickets: [Ticket] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.post("/support/tickets") { request, context in
            let userId = try context.customer().userId
            let new = try NewTicket.read(try await JSONBody(request, context: context))
            return Reply.created(try await store.create(userId, new, correlationId: context.requestId))
        }

        routes.get("/support/tickets") { request, context in
            let principal = try context.customer()
            var query = QueryParameters(request)
            var filters = TicketStore.Filters(
                status: query.optional("status", .oneOf(Ticket.Status.self)),
                priority: query.optional("priority", .oneOf(Ticket.Priority.self)),
                category: query.optional("category", .oneOf(Ticket.Category.self)))
            // Validated for everyone (an invalid parameter is a 422 whoever sends it), applied
            // for staff only: customers see their own tickets whatever they ask for.
            let userId = query.optional("userId", .string(1...128))
            let assignedTo = query.optional("assignedTo", .string(1...128))
            if principal.role.isStaff {
                filters.userId = userId
                filters.assignedTo = assignedTo
            } else {
                filters.userId = principal.userId
            }
            let page = query.pagination()
            try query.finish()
            let list = { () async throws -> SuccessBody<Listing> in
                let (tickets, total) = try await store.list(filters, page: page)
                return SuccessBody(Listing(tickets: tickets), meta: page.meta(total: total))
            }
            // A customer's own list is cached; staff views are not (they span customers).
            guard !principal.role.isStaff else { return Response.json(status: .ok, try JSONCoding.encoder.bytes(try await list())) }
            return try await store.runtime.cache.response(store.listKey(filters, page: page), group: store.listGroup(principal.userId), load: list)
        }

        routes.get("/support/tickets/:id") { _, context in
            let principal = try context.customer()
            let id = try context.resourceId(notFound: "Ticket not found")
            guard var ticket = try await store.find(id), principal.role.isStaff || principal.owns(ticket.userId) else {
                throw AppError.notFound("Ticket not found")
            }
            ticket.messages = try await store.messages(of: id, includingInternal: principal.role.isStaff)
            return Reply.ok(ticket)
        }

        routes.patch("/support/tickets/:id") { request, context in
            _ = try context.staff()
            let id = try context.resourceId(notFound: "Ticket not found")
            let changes = try TicketChanges.read(try await JSONBody(request, context: context))
            return Reply.ok(try await store.update(id, changes, correlationId: context.requestId))
        }

        routes.post("/support/tickets/:id/messages") { request, context in
            let principal = try context.customer()
            let id = try context.resourceId(notFound: "Ticket not found")
            let new = try NewMessage.read(try await JSONBody(request, context: context))
            if new.isInternal, !principal.role.isStaff { throw AppError.forbidden("Only staff can write internal notes") }
            return Reply.created(try await store.add(new, to: id, from: principal, correlationId: context.requestId))
        }

        routes.post("/support/tickets/:id/rating") { request, context in
            let userId = try context.customer().userId
            let id = try context.resourceId(notFound: "Ticket not found")
            let rating = try NewRating.read(try await JSONBody(request, context: context))
            return Reply.created(try await store.rate(id, by: userId, rating))
        }
    }
}
