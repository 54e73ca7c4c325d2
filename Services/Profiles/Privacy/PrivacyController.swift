import Auth
import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/privacy` and the admin variants (CONTRACT §13): a customer's data export and erasure,
/// and the same on a customer's behalf for admins (subject access requests that arrive by
/// email, docs/operations.md).
struct PrivacyController {
    let store: PrivacyStore

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .post("/privacy/exports", use: requestExport)
            .get("/privacy/exports", use: exports)
            .get("/privacy/exports/:id", use: export)
            .get("/privacy/exports/:id/download", use: download)
            .post("/privacy/erasure", use: erase)
        routes.group(context: AdminContext.self)
            .post("/admin/customers/:userId/exports", use: requestExportForCustomer)
            .get("/admin/customers/:userId/exports", use: audit)
            .post("/admin/customers/:userId/erasure", use: eraseCustomer)
    }

    @Sendable func requestExport(_ request: Request, context: CustomerContext) async throws -> Reply<PrivacyRequest> {
        try await requestExport(for: context.caller.userId, by: context.caller, correlationId: context.requestId)
    }

    @Sendable func exports(_ request: Request, context: CustomerContext) async throws -> Reply<[PrivacyRequest]> {
        var query = QueryParameters(request)
        let page = query.pagination()
        try query.finish()
        let (exports, total) = try await store.list(context.caller.userId, kind: .export, page: page)
        return Reply.page(exports, page.meta(total: total))
    }

    @Sendable func export(_ request: Request, context: CustomerContext) async throws -> Reply<PrivacyRequest> {
        guard let export = try await store.export(try exportId(context), of: context.caller.userId) else {
            throw AppError.notFound("Export not found")
        }
        return Reply.ok(export)
    }

    @Sendable func download(_ request: Request, context: CustomerContext) async throws -> Response {
        let id = try exportId(context)
        let document = try await store.document(id, of: context.caller.userId)
        return Response.json(
            status: .ok, try Self.documentEncoder.encode(document),
            headers: [
                .contentDisposition: #"attachment; filename="lomash-wood-data-\#(id.lowercasedString).json""#,
                .cacheControl: "no-store",
            ])
    }

    @Sendable func erase(_ request: Request, context: CustomerContext) async throws -> Reply<ErasureAccepted> {
        let userId = context.caller.userId
        return Reply(status: .accepted, try await store.erase(userId, by: userId, correlationId: context.requestId))
    }

    @Sendable func requestExportForCustomer(_ request: Request, context: AdminContext) async throws -> Reply<PrivacyRequest> {
        try await requestExport(for: try customerId(context), by: context.caller, correlationId: context.requestId)
    }

    /// The audit of one customer: every export and erasure, by whom and with what outcome.
    @Sendable func audit(_ request: Request, context: AdminContext) async throws -> Reply<[PrivacyRequest]> {
        let userId = try customerId(context)
        var query = QueryParameters(request)
        let page = query.pagination()
        try query.finish()
        let (requests, total) = try await store.list(userId, kind: nil, page: page)
        return Reply.page(requests, page.meta(total: total))
    }

    @Sendable func eraseCustomer(_ request: Request, context: AdminContext) async throws -> Reply<ErasureAccepted> {
        Reply(status: .accepted, try await store.erase(try customerId(context), by: context.caller.userId, correlationId: context.requestId))
    }

    /// 202 with a new export, 200 with the one already pending.
    private func requestExport(for userId: String, by requester: Principal, correlationId: String) async throws -> Reply<PrivacyRequest> {
        let (export, created) = try await store.requestExport(for: userId, by: requester.userId, correlationId: correlationId)
        return Reply(status: created ? .accepted : .ok, export)
    }

    private func exportId(_ context: some ServiceRequestContext) throws -> UUID {
        try context.resourceId(notFound: "Export not found")
    }

    /// `:userId`: an opaque id of 1–128 characters (CONTRACT §1).
    private func customerId(_ context: some ServiceRequestContext) throws -> String {
        try context.opaqueId("userId", maxLength: 128, notFound: "Customer not found")
    }

    /// The document is for people as much as programs: indented, keys in order.
    static let documentEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
