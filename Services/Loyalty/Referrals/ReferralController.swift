import Contracts
import HTTPKit
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `/referrals` (CONTRACT §9). Code validation is public and cached in Redis; the cached
/// entry is dropped when the referrer's name changes or the code goes.
struct ReferralController {
    let store: ReferralStore

    struct Generated: Codable, Sendable {
        let code: String
        let createdAt: Date
    }

    struct Listing: Codable, Sendable {
        @Nullable var code: String?
        let referrals: [Referral]
    }

    func register(on routes: RouterGroup<AppContext>) {
        routes.get("/referrals/validate/:code", use: validate)
        routes.group(context: CustomerContext.self)
            .post("/referrals/generate", use: generate)
            .get("/referrals", use: list)
            .get("/referrals/stats", use: stats)
            .post("/referrals/apply", use: apply)
        routes.group(context: AdminContext.self)
            .patch("/referrals/:id/complete", use: complete)
    }

    @Sendable func generate(_ request: Request, context: CustomerContext) async throws -> Reply<Generated> {
        let generated = try await store.generate(for: context.caller.userId)
        let body = Generated(code: generated.code, createdAt: generated.createdAt)
        return generated.created ? Reply.created(body) : Reply.ok(body)
    }

    @Sendable func list(_ request: Request, context: CustomerContext) async throws -> Reply<Listing> {
        let page = try QueryParameters.pagination(request)
        let code = try await store.code(of: context.caller.userId)?.code
        let (referrals, total) = try await store.list(referrer: context.caller.userId, page: page)
        return Reply.page(Listing(code: code, referrals: referrals), page.meta(total: total))
    }

    @Sendable func stats(_ request: Request, context: CustomerContext) async throws -> Reply<ReferralStore.Stats> {
        Reply.ok(try await store.stats(referrer: context.caller.userId))
    }

    /// Public: no token needed, and a valid one changes nothing.
    @Sendable func validate(_ request: Request, context: AppContext) async throws -> Response {
        let code = try Self.wellFormed(context.parameters.get("code"))
        guard let json = try await store.cachedValidation(of: code) else { throw AppError.notFound("Referral code not found") }
        return Response.json(json.utf8)
    }

    @Sendable func apply(_ request: Request, context: CustomerContext) async throws -> Reply<Referral> {
        var body = try await JSONBody(request, context: context)
        // Any string gets past the 422: a badly formed one is a 400 (CONTRACT §9's order).
        let raw = body.required("code", .anyString)
        try body.finish()
        return Reply.created(try await store.apply(code: try Self.wellFormed(raw), referee: context.caller.userId))
    }

    @Sendable func complete(_ request: Request, context: AdminContext) async throws -> Reply<Referral> {
        let id = try context.resourceId(notFound: "Referral not found")
        var body = try await JSONBody(request, context: context)
        let referrerPoints = body.optional("referrerPoints", .int(0...1_000_000))
        let refereePoints = body.optional("refereePoints", .int(0...1_000_000))
        let orderId = body.nullable("orderId", .string(1...128)).applied(to: nil)
        try body.finish()
        return Reply.ok(
            try await store.complete(
                id, referrerPoints: referrerPoints, refereePoints: refereePoints, orderId: orderId, correlationId: context.requestId))
    }

    static func wellFormed(_ text: String?) throws(AppError) -> String {
        guard let text, let code = ReferralCode.normalized(text) else {
            throw AppError.badRequest("A referral code is 4 to 32 letters, digits or dashes", code: "INVALID_REFERRAL_CODE")
        }
        return code
    }
}
