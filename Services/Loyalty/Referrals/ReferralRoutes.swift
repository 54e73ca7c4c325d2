#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPKit

/// `/referrals` (CONTRACT §9). Code validation is public and cached in Redis; the cached
/// entry is dropped when the referrer's name changes.
struct ReferralRoutes {
    let store: ReferralStore
    let cache: Cache

    struct Generated: Encodable, Sendable {
        let code: String
        let createdAt: Date
    }

    struct Listing: Encodable, Sendable {
        @Nullable var code: String?
        let referrals: [Referral]
    }

    func register(on routes: RouterGroup<AppContext>) {
        routes.post("/referrals/generate") { _, context in
            let generated = try await store.generate(for: try context.customer().userId)
            let body = Generated(code: generated.code, createdAt: generated.createdAt)
            return generated.created ? Reply.created(body) : Reply.ok(body)
        }

        routes.get("/referrals") { request, context in
            let userId = try context.customer().userId
            let page = try QueryParameters.pagination(request)
            let code = try await store.code(of: userId)?.code
            let (referrals, total) = try await store.list(referrer: userId, page: page)
            return Reply.page(Listing(code: code, referrals: referrals), page.meta(total: total))
        }

        routes.get("/referrals/stats") { _, context in
            Reply.ok(try await store.stats(referrer: try context.customer().userId))
        }

        routes.get("/referrals/validate/:code") { _, context in
            let code = try Self.wellFormed(context.parameters.get("code"))
            guard let json = try await cache.fetchJSON(ReferralStore.validationKey(code, in: cache), load: { try await store.validation(of: code) }) else {
                throw AppError.notFound("Referral code not found")
            }
            return Response.encoded(data: json)
        }

        routes.post("/referrals/apply") { request, context in
            let userId = try context.customer().userId
            var body = try await JSONBody(request, context: context)
            // Any string gets past the 422: a badly formed one is a 400 (CONTRACT §9's order).
            let raw = body.required("code", .anyString)
            try body.finish()
            return Reply.created(try await store.apply(code: try Self.wellFormed(raw), referee: userId))
        }

        routes.patch("/referrals/:id/complete") { request, context in
            _ = try context.admin()
            let id = try context.resourceId(notFound: "Referral not found")
            var body = try await JSONBody(request, context: context)
            let referrerPoints = body.optional("referrerPoints", .int(0...1_000_000))
            let refereePoints = body.optional("refereePoints", .int(0...1_000_000))
            let orderId = body.nullable("orderId", .string(1...128)).applied(to: nil)
            try body.finish()
            return Reply.ok(try await store.complete(
                id, referrerPoints: referrerPoints, refereePoints: refereePoints, orderId: orderId, correlationId: context.requestId))
        }
    }

    static func wellFormed(_ text: String?) throws(AppError) -> String {
        guard let text, let code = ReferralCode.normalized(text) else {
            throw AppError.badRequest("A referral code is 4 to 32 letters, digits or dashes", code: "INVALID_REFERRAL_CODE")
        }
        return code
    }
}
