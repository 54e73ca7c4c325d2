#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/addresses` (CONTRACT §3). Another customer's address, or a malformed id, is a 404.
struct AddressRoutes {
    let store: AddressStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/addresses") { _, context in
            Reply.ok(try await store.list(try context.customer().userId))
        }

        routes.post("/addresses") { request, context in
            let principal = try context.customer()
            let changes = try AddressChanges.forCreate(try await JSONBody(request, context: context))
            return Reply.created(try await store.create(principal.userId, changes))
        }

        routes.patch("/addresses/:id") { request, context in
            let principal = try context.customer()
            let id = try addressId(context)
            guard let current = try await store.find(principal.userId, id) else { throw AppError.notFound("Address not found") }
            let changes = try AddressChanges.forUpdate(try await JSONBody(request, context: context), current: current.country)
            guard let address = try await store.update(principal.userId, id, changes) else { throw AppError.notFound("Address not found") }
            return Reply.ok(address)
        }

        routes.delete("/addresses/:id") { _, context in
            let principal = try context.customer()
            guard try await store.delete(principal.userId, try addressId(context)) else { throw AppError.notFound("Address not found") }
            return Response(status: .noContent)
        }
    }

    private func addressId(_ context: AppContext) throws -> UUID {
        try context.resourceId(notFound: "Address not found")
    }
}
