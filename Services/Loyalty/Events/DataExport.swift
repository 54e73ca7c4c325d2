import Contracts
import Domain
import EventBus
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Loyalty's part of a data export (CONTRACT §13): the account (null if none: an export
/// creates nothing), the whole ledger (newest first, as `GET /loyalty/transactions` pages it),
/// the customer's referral code, and every referral they made or were brought in by.
enum DataExport {
    static func register(on handlers: inout EventHandlers, runtime: Runtime, ledger: LedgerStore, referrals: ReferralStore) {
        handlers.answerExports(outbox: runtime.outbox, logger: runtime.logger) { userId, connection in
            // On the request's connection: an erasure applied ahead of its event for this export
            // (`answerExports`) has deleted the code in this transaction. The ledger and the
            // referrals are not changed by an anonymisation.
            let code = try await referrals.code(of: userId, on: connection)
            return JSONValue.object([
                "loyalty": .object([
                    "account": try await ledger.find(userId).map(JSONValue.init(encoding:)) ?? .null,
                    "transactions": try JSONValue(encoding: try await ledger.history(userId, type: nil, from: nil, to: nil, page: .everything).0),
                    "referralCode": code.map { .object(["code": .string($0.code), "createdAt": .string(Timestamp.iso8601($0.createdAt))]) } ?? .null,
                ]),
                "referrals": try JSONValue(encoding: try await referrals.all(involving: userId)),
            ])
        }
    }
}
