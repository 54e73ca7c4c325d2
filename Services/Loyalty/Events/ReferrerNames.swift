import Contracts
import Domain
import EventBus
import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Referrers' names for a referral code's public validation: the shared `CustomerNames`
/// projection, and the cached validation dropped when the referrer's name changes (an erased
/// referrer's code goes altogether: `Erasure`).
enum ReferrerNames {
    static func register(on handlers: inout EventHandlers, runtime: Runtime) {
        CustomerNames.register(on: &handlers, logger: runtime.logger)
        handlers.on(Topics.profileUpdated) { event, connection in
            try await dropCachedValidation(event.payload.userId, runtime, connection)
        }
    }

    /// Once the handler's transaction has committed: earlier, a validation racing it could
    /// cache the old name again.
    private static func dropCachedValidation(_ userId: String, _ runtime: Runtime, _ connection: PostgresConnection) async throws {
        guard
            let code = try await connection.query(
                "SELECT code FROM referral_codes WHERE user_id = \(userId)", logger: runtime.logger
            ).value(String.self)
        else { return }
        await runtime.cache.invalidateAfterCommit([ReferralStore.validationKey(code, in: runtime.cache)])
    }
}
