import HTTPKit
import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `expire-loyalty-points` (daily 02:00 UTC): what is left of each earned batch past its
/// expiry becomes an EXPIRE entry, one per account, with its account update event. Each
/// account is its own short transaction; a second run finds nothing left to expire.
enum ExpireLoyaltyPoints {
    static func job(ledger: LedgerStore) -> Job {
        Job("expire-loyalty-points", schedule: "0 2 * * *") { context in
            let database = context.runtime.database
            if context.dryRun {
                for try await (accounts, points) in try await database.query(
                    """
                    SELECT count(DISTINCT user_id)::int, coalesce(sum(remaining), 0)::int FROM lots
                    WHERE remaining > 0 AND expires_at <= \(context.now)
                    """
                ).decode((Int, Int).self) {
                    return JobOutcome(counts: ["accounts": accounts, "points": points])
                }
            }
            var accounts = 0
            var points = 0
            var failed = 0
            var after = ""
            // Keyset pages of the users with something due, so a large backlog is never one huge read.
            while true {
                let users = try await database.query(
                    """
                    SELECT DISTINCT user_id FROM lots WHERE remaining > 0 AND expires_at <= \(context.now) AND user_id > \(after)
                    ORDER BY user_id LIMIT 500
                    """
                ).values(String.self)
                guard let last = users.last else { break }
                for userId in users {
                    do {
                        let expired = try await database.transaction { connection in
                            try await ledger.expire(userId, now: context.now, correlationId: context.runId.lowercasedString, on: connection)
                        }
                        if let expired {
                            accounts += 1
                            points -= expired.points
                        }
                    } catch let error as AppError where error == .internalError {
                        failed += 1  // logged by the ledger; the other accounts still expire
                    }
                }
                after = last
            }
            return JobOutcome(
                counts: failed > 0 ? ["accounts": accounts, "points": points, "failed": failed] : ["accounts": accounts, "points": points])
        }
    }
}
