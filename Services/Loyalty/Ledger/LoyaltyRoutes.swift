import Foundation
import HTTPKit

/// `GET /loyalty`, `GET /loyalty/transactions` (customer) and `POST /loyalty/transactions`
/// (admin), CONTRACT §8. The account is cached in Redis (`expiringSoon` may lag by the TTL).
struct LoyaltyRoutes {
    let store: LedgerStore

    struct History: Encodable, Sendable { let transactions: [LedgerEntry] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/loyalty") { _, context in
            let userId = try context.customer().userId
            // The hot path: the account's JSON from Redis; every change drops it after committing.
            guard let json = try await store.runtime.cache.fetchJSON(store.cacheKey(userId), load: { try await store.account(userId) }) else {
                throw AppError.internalError
            }
            return Response.encoded(data: json)
        }

        routes.get("/loyalty/transactions") { request, context in
            let userId = try context.customer().userId
            var query = QueryParameters(request)
            let type = query.optional("type", .oneOf(LedgerEntry.Kind.self))
            let from = query.optional("from", Self.timestamp)
            let to = query.optional("to", Self.timestamp)
            let page = query.pagination()
            try query.finish()
            let (entries, total) = try await store.history(userId, type: type, from: from, to: to, page: page)
            return Reply.page(History(transactions: entries), page.meta(total: total))
        }

        routes.post("/loyalty/transactions") { request, context in
            _ = try context.admin()
            let body = try TransactionRequest.read(try await JSONBody(request, context: context))
            let key = request.headers[.idempotencyKey]
            return Reply.created(try await store.post(body, idempotencyKey: key, correlationId: context.requestId))
        }
    }

    /// A date (`YYYY-MM-DD`, start of that day UTC) or an ISO 8601 timestamp.
    static let timestamp = FieldRule<Date>(fallback: Date()) { json in
        guard case .string(let text) = json else { return .failure(RuleFailure("must be a date or timestamp")) }
        if let date = Timestamp.parse(text) ?? Timestamp.parse(text + "T00:00:00Z") { return .success(date) }
        return .failure(RuleFailure("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"))
    }
}
