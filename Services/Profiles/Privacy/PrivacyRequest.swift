import Contracts

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A privacy request (CONTRACT §13), as the audit keeps it: who asked, when, for whom, and the
/// outcome, never the personal data itself. An export is the contract's `Export`; an erasure
/// shows in an admin's list of the customer's requests with `kind: ERASURE`.
struct PrivacyRequest: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        case export = "EXPORT"
        case erasure = "ERASURE"
    }
    enum Status: String, Codable, Sendable {
        case pending = "PENDING"
        case ready = "READY"
        case failed = "FAILED"
        /// An export an erasure overtook: its parts are gone and none is kept any more.
        case cancelled = "CANCELLED"
        /// An erasure that scrubbed the customer's data everywhere.
        case erased = "ERASED"
        /// A repeated erasure: nothing was left to erase.
        case alreadyErased = "ALREADY_ERASED"
    }

    @LowercaseID var id: UUID
    let userId: String
    let kind: Kind
    let status: Status
    /// The user id of whoever asked: the customer, or an admin acting on an emailed request.
    let requestedBy: String
    let requestedAt: Date
    @Nullable var completedAt: Date?
    /// Each context's part (`PENDING` | `READY`); null for an erasure.
    @Nullable var parts: [String: String]?
    @Nullable var expiresAt: Date?
}

/// `POST /privacy/erasure`'s answer.
struct ErasureAccepted: Encodable, Sendable {
    let userId: String
    let status = "ACCEPTED"
    let requestedAt: Date
}
