import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A referral: the referee used the referrer's code (CONTRACT §9).
struct Referral: Codable, Sendable {
    enum Status: String, Codable, Sendable {
        case pending = "PENDING"
        case completed = "COMPLETED"
    }

    @LowercaseID var id: UUID
    let code: String
    let referrerId: String
    let refereeId: String
    let status: Status
    let referrerPointsAwarded: Int
    let refereePointsAwarded: Int
    @Nullable var orderId: String?
    let createdAt: Date
    @Nullable var completedAt: Date?
}

/// Referral codes: `LW-` and eight characters without look-alikes (no I, O, 0, 1).
enum ReferralCode {
    static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "LW-" + String((0..<8).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A well-formed code (`^[A-Za-z0-9-]{4,32}$`) in its stored, upper-case form, or nil.
    static func normalized(_ text: String) -> String? {
        guard (4...32).contains(text.utf8.count),
            text.utf8.allSatisfy({ isCodeByte($0) })
        else { return nil }
        return text.uppercased()
    }

    private static func isCodeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
