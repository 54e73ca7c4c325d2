import Contracts
import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `GET /loyalty`, `GET /loyalty/transactions` (customer) and `POST /loyalty/transactions`
/// (admin), CONTRACT §8. The account is cached in Redis (`expiringSoon` may lag by the TTL).
struct LoyaltyController {
    let store: LedgerStore

    struct History: Codable, Sendable { let transactions: [LedgerEntry] }

    func register(on routes: RouterGroup<AppContext>) {
        routes.group(context: CustomerContext.self)
            .get("/loyalty", use: account)
            .get("/loyalty/transactions", use: history)
        routes.group(context: AdminContext.self)
            .post("/loyalty/transactions", use: post)
    }

    /// The hot path: the account's JSON from Redis; every change drops it after committing.
    @Sendable func account(_ request: Request, context: CustomerContext) async throws -> Response {
        Response.json(try await store.cachedAccount(context.caller.userId).utf8)
    }

    @Sendable func history(_ request: Request, context: CustomerContext) async throws -> Reply<History> {
        var query = QueryParameters(request)
        let type = query.optional("type", .oneOf(LedgerEntry.Kind.self))
        let from = query.optional("from", Self.timestamp(endOfDay: false))
        let to = query.optional("to", Self.timestamp(endOfDay: true))
        let page = query.pagination()
        try query.finish()
        let (entries, total) = try await store.history(context.caller.userId, type: type, from: from, to: to, page: page)
        return Reply.page(History(transactions: entries), page.meta(total: total))
    }

    @Sendable func post(_ request: Request, context: AdminContext) async throws -> Reply<LedgerEntry> {
        let body = try TransactionRequest.read(try await JSONBody(request, context: context))
        let key = try Self.idempotencyKey(request.headers[.idempotencyKey])
        return Reply.created(try await store.post(body, idempotencyKey: key, correlationId: context.requestId))
    }

    /// 1–255 visible ASCII characters, or none. An empty or oversized key is not a key: every
    /// admin sending an empty one would share it.
    static func idempotencyKey(_ header: String?) throws(AppError) -> String? {
        guard let header else { return nil }
        guard (1...255).contains(header.utf8.count), header.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw AppError.validation(field: "Idempotency-Key", "must be 1-255 visible ASCII characters")
        }
        return header
    }

    /// An ISO 8601 timestamp, or a date (`YYYY-MM-DD`, UTC) meaning the start of that day —
    /// or its last microsecond (Postgres's precision) for `to`, so `to=2026-05-01` includes that day's entries.
    static func timestamp(endOfDay: Bool) -> FieldRule<Date> {
        FieldRule<Date>(fallback: Date()) { json in
            guard case .string(let text) = json else { return .failure(RuleFailure("must be a date or timestamp")) }
            if let instant = Timestamp.parse(text) { return .success(instant) }
            if let day = Timestamp.parse(text + "T00:00:00Z") { return .success(endOfDay ? day.addingTimeInterval(86_399.999_999) : day) }
            return .failure(RuleFailure("must be a date (YYYY-MM-DD) or an ISO 8601 timestamp"))
        }
    }
}
