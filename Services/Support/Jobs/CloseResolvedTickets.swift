import PostgresNIO
import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `close-resolved-tickets` (hourly): tickets RESOLVED for `SUPPORT_AUTO_CLOSE_DAYS` without a
/// customer reply (a reply reopens the ticket) become CLOSED with a SYSTEM message saying why,
/// each in its own short transaction that re-checks under the row lock. A second run finds
/// nothing more to close.
enum CloseResolvedTickets {
    static func job(tickets: TicketStore, days: Int) -> Job {
        Job("close-resolved-tickets", schedule: "0 * * * *") { context in
            let database = context.runtime.database
            let cutoff = context.now.addingTimeInterval(-Double(days) * 86_400)
            if context.dryRun {
                let due =
                    try await database.query(
                        "SELECT count(*)::int FROM tickets WHERE status = 'RESOLVED' AND resolved_at <= \(cutoff)"
                    ).value(Int.self) ?? 0
                return JobOutcome(counts: ["wouldClose": due])
            }
            var closed = 0
            var after = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            // Keyset pages of the tickets due, so a large backlog is never one huge read.
            while true {
                let due = try await database.query(
                    """
                    SELECT id FROM tickets WHERE status = 'RESOLVED' AND resolved_at <= \(cutoff) AND id > \(after) ORDER BY id LIMIT 500
                    """
                ).values(UUID.self)
                guard let last = due.last else { break }
                for id in due
                where try await tickets.autoClose(
                    id, resolvedBefore: cutoff, days: days, correlationId: context.runId.lowercasedString)
                {
                    closed += 1
                }
                after = last
            }
            return JobOutcome(counts: ["closed": closed])
        }
    }
}
