import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A customer's points account (CONTRACT §8).
struct Account: Codable, Sendable {
    struct Expiring: Codable, Sendable {
        let points: Int
        let before: Date
    }

    let userId: String
    let points: Int
    let lifetimePoints: Int
    let redeemedPoints: Int
    let expiredPoints: Int
    let tier: LoyaltyTier
    @Nullable var nextTier: LoyaltyTier?
    @Nullable var pointsToNextTier: Int?
    @Nullable var expiringSoon: Expiring?
    let createdAt: Date
    let updatedAt: Date
}

extension Account.Expiring: Equatable {}

/// One immutable ledger entry: `points` is the signed change to the balance.
struct LedgerEntry: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        case earn = "EARN"
        case redeem = "REDEEM"
        case adjustment = "ADJUSTMENT"
        case expire = "EXPIRE"
    }

    @LowercaseID var id: UUID
    let userId: String
    let type: Kind
    let points: Int
    let balanceAfter: Int
    let reason: String
    @Nullable var referenceType: String?
    @Nullable var referenceId: String?
    @Nullable var expiresAt: Date?
    let createdAt: Date
}

/// An admin's `POST /loyalty/transactions` body.
struct TransactionRequest: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case earn = "EARN"
        case redeem = "REDEEM"
        case adjustment = "ADJUSTMENT"
        case adjust = "ADJUST"
    }

    let userId: String
    let type: LedgerEntry.Kind
    /// Signed: negative for REDEEM and negative adjustments.
    let change: Int
    let reason: String
    let referenceType: String?
    let referenceId: String?

    /// `earlier`, the entry written under this request's idempotency key, if it is this
    /// request's; a key reused for another transaction (another customer's, say) is a 409 and
    /// shows nothing of it.
    func repeated(by earlier: LedgerEntry) throws(AppError) -> LedgerEntry {
        guard UserID(earlier.userId) == UserID(userId), earlier.type == type, earlier.points == change, earlier.reason == reason else {
            throw AppError.conflict("Idempotency-Key was already used for a different transaction")
        }
        return earlier
    }

    static func read(_ body: JSONBody) throws(AppError) -> TransactionRequest {
        var body = body
        let userId = body.required("userId", .string(1...128))
        let kind = body.required("type", .oneOf(Kind.self))
        let points = body.required("points", .int(-1_000_000_000...1_000_000_000))
        let reason = body.required("reason", .string(1...255))
        let referenceType = body.optional("referenceType", .string(1...50))
        let referenceId = body.nullable("referenceId", .string(1...128)).applied(to: nil)
        let type: LedgerEntry.Kind = kind == .earn ? .earn : kind == .redeem ? .redeem : .adjustment
        if body.contains("points") {
            if type == .adjustment, points == 0 { body.fail("points", "must not be 0") }
            if type != .adjustment, points <= 0 { body.fail("points", "must be greater than 0") }
        }
        try body.finish()
        return TransactionRequest(
            userId: userId, type: type, change: type == .redeem ? -points : points, reason: reason,
            referenceType: referenceType, referenceId: referenceId)
    }
}
