import Contracts
import EventBus
import PostgresNIO
import ServiceKit

/// `customer.profile.anonymized` (GDPR): the customer's referral code stops working
/// (`GET /referrals/validate/:code` → 404, CONTRACT §13), its cached validation with it. The
/// ledger and the referrals stay: points are the shop's financial records, and a referral is
/// the other party's too. The name is scrubbed by the `CustomerNames` projection.
enum Erasure {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        handlers.on(Topics.profileAnonymized) { event, connection in
            let codes = try await connection.query(
                "DELETE FROM referral_codes WHERE user_id = \(event.payload.userId) RETURNING code", logger: runtime.logger
            ).values(String.self)
            await runtime.cache.invalidateAfterCommit(codes.map { ReferralStore.validationKey($0, in: runtime.cache) })
        }
    }
}
