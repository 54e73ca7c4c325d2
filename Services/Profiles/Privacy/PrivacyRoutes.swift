#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/privacy` and the admin variants (CONTRACT §13): a customer's data export and erasure,
/// and the same on a customer's behalf for admins (subject access requests that arrive by
/// email, docs/operations.md).
struct PrivacyRoutes {
    let store: PrivacyStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.post("/privacy/exports") { _, context in
            let principal = try context.customer()
            return try await requestExport(for: principal.userId, by: principal, context)
        }

        routes.get("/privacy/exports") { request, context in
            let principal = try context.customer()
            var query = QueryParameters(request)
            let page = query.pagination()
            try query.finish()
            let (exports, total) = try await store.list(principal.userId, kind: .EXPORT, page: page)
            return Reply.page(exports, page.meta(total: total))
        }

        routes.get("/privacy/exports/:id") { _, context in
            let principal = try context.customer()
            guard let export = try await store.export(try exportId(context), of: principal.userId) else {
                throw AppError.notFound("Export not found")
            }
            return Reply.ok(export)
        }

        routes.get("/privacy/exports/:id/download") { _, context in
            let principal = try context.customer()
            let id = try exportId(context)
            let document = try await store.document(id, of: principal.userId)
            return Response.json(status: .ok, try Self.documentEncoder.encode(document), headers: [
                .contentDisposition: #"attachment; filename="lomash-wood-data-\#(id.lowercasedString).json""#,
                .cacheControl: "no-store",
            ])
        }

        routes.post("/privacy/erasure") { _, context in
            let principal = try context.customer()
            return Reply(status: .accepted, try await store.erase(principal.userId, by: principal.userId, correlationId: context.requestId))
        }

        routes.post("/admin/customers/:userId/exports") { _, context in
            let admin = try context.admin()
            return try await requestExport(for: try customerId(context), by: admin, context)
        }

        // The audit of one customer: every export and erasure, by whom and with what outcome.
        routes.get("/admin/customers/:userId/exports") { request, context in
            _ = try context.admin()
            let userId = try customerId(context)
            var query = QueryParameters(request)
            let page = query.pagination()
            try query.finish()
            let (requests, total) = try await store.list(userId, kind: nil, page: page)
            return Reply.page(requests, page.meta(total: total))
        }

        routes.post("/admin/customers/:userId/erasure") { _, context in
            let admin = try context.admin()
            return Reply(status: .accepted, try await store.erase(try customerId(context), by: admin.userId, correlationId: context.requestId))
        }
    }

    /// 202 with a new export, 200 with the one already pending.
    private func requestExport(for userId: String, by principal: Principal, _ context: AppContext) async throws -> Reply<PrivacyRequest> {
        let (export, created) = try await store.requestExport(for: userId, by: principal.userId, correlationId: context.requestId)
        return Reply(status: created ? .accepted : .ok, export)
    }

    private func exportId(_ context: AppContext) throws -> UUID {
        try context.resourceId(notFound: "Export not found")
    }

    /// `:userId`: an opaque id of 1–128 characters (CONTRACT §1).
    private func customerId(_ context: AppContext) throws -> String {
        try context.opaqueId("userId", maxLength: 128, notFound: "Customer not found")
    }

    /// The document is for people as much as programs: indented, keys in order.
    static let documentEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
