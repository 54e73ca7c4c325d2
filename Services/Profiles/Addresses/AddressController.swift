import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/addresses` (CONTRACT §3). Another customer's address, or a malformed id, is a 404.
struct AddressController {
    let store: AddressStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/addresses", use: list)
            .post("/addresses", use: create)
            .patch("/addresses/:id", use: update)
            .delete("/addresses/:id", use: delete)
    }

    @Sendable func list(_ request: Request, context: CustomerContext) async throws -> Reply<[Address]> {
        Reply.ok(try await store.list(context.caller.userId))
    }

    @Sendable func create(_ request: Request, context: CustomerContext) async throws -> Reply<Address> {
        let changes = try AddressChanges.forCreate(try await JSONBody(request, context: context))
        return Reply.created(try await store.create(context.caller.userId, changes))
    }

    @Sendable func update(_ request: Request, context: CustomerContext) async throws -> Reply<Address> {
        let userId = context.caller.userId
        let id = try addressId(context)
        guard let current = try await store.find(userId, id) else { throw AppError.notFound("Address not found") }
        let changes = try AddressChanges.forUpdate(try await JSONBody(request, context: context), current: current.country)
        guard let address = try await store.update(userId, id, changes) else { throw AppError.notFound("Address not found") }
        return Reply.ok(address)
    }

    @Sendable func delete(_ request: Request, context: CustomerContext) async throws -> Response {
        guard try await store.delete(context.caller.userId, try addressId(context)) else { throw AppError.notFound("Address not found") }
        return Response(status: .noContent)
    }

    private func addressId(_ context: CustomerContext) throws -> UUID {
        try context.resourceId(notFound: "Address not found")
    }
}
