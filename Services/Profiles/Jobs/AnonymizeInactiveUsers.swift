import PostgresNIO
import ServiceKit
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `anonymize-inactive-users` (Sundays 03:00 UTC), GDPR: a profile with no activity for
/// `GDPR_INACTIVITY_DAYS` and no open support ticket is anonymised (`Anonymisation`), and
/// `customer.profile.anonymized` tells every other context to scrub its data.
///
/// Activity is the newest of: profile, address or preference changes, and orders,
/// appointments, brochure requests and tickets seen in the projections.
enum AnonymizeInactiveUsers {
    static func job(runtime: Runtime, inactivityDays: Int) -> Job {
        Job("anonymize-inactive-users", schedule: "0 3 * * 0") { context in
            let cutoff = context.now.addingTimeInterval(-Double(inactivityDays) * 86_400)
            let candidates = try await inactive(before: cutoff, database: context.runtime.database)
            guard !context.dryRun else {
                return JobOutcome(counts: ["wouldAnonymize": candidates.count], details: candidates)
            }
            var anonymized = 0
            for userId in candidates
            where try await anonymize(
                userId, inactiveBefore: cutoff, runtime: context.runtime, correlationId: context.runId.lowercasedString)
            {
                anonymized += 1
            }
            return JobOutcome(counts: ["anonymized": anonymized])
        }
    }

    /// The customer's last activity, for a profile row `p`.
    static let lastActivity = """
        GREATEST(
            p.updated_at,
            (SELECT max(updated_at) FROM addresses a WHERE a.user_id = p.user_id),
            (SELECT updated_at FROM notification_preferences n WHERE n.user_id = p.user_id),
            (SELECT max(paid_at) FROM portal_orders o WHERE o.user_id = p.user_id),
            (SELECT max(booked_at) FROM portal_appointments ap WHERE ap.user_id = p.user_id),
            (SELECT max(requested_at) FROM portal_brochure_requests b WHERE b.user_id = p.user_id),
            (SELECT max(updated_at) FROM support_tickets t WHERE t.user_id = p.user_id),
            (SELECT event_at FROM wishlist_summaries w WHERE w.user_id = p.user_id),
            (SELECT event_at FROM loyalty_summaries l WHERE l.user_id = p.user_id))
        """
    static let noOpenTicket = """
        NOT EXISTS (SELECT 1 FROM support_tickets t WHERE t.user_id = p.user_id
                    AND \(PortalStore.ticketIsOpen("t")))
        """

    static func inactive(before cutoff: Date, database: Database) async throws -> [String] {
        try await database.query(
            """
            SELECT p.user_id FROM profiles p
            WHERE p.anonymized_at IS NULL
              AND \(unescaped: lastActivity) < \(cutoff)
              AND \(unescaped: noOpenTicket)
            ORDER BY p.user_id
            """
        ).values(String.self)
    }

    /// Returns false when the customer is no longer eligible (active or with an open ticket
    /// since the candidates were chosen): that is re-checked under the profile's row lock,
    /// because anonymisation cannot be undone.
    static func anonymize(_ userId: String, inactiveBefore cutoff: Date, runtime: Runtime, correlationId: String) async throws -> Bool {
        let logger = runtime.logger
        let done = try await runtime.database.transaction { connection -> Bool in
            // The customer's privacy lock first, as an erasure or an export request takes it:
            // an export requested meanwhile then names this anonymisation, or is made before it.
            try await connection.lockUntilCommit(PrivacyStore.lockName(userId), logger: logger)
            // Lock the row, and only then decide.
            let stillEligible = try await connection.query(
                """
                SELECT \(unescaped: lastActivity) < \(cutoff) AND \(unescaped: noOpenTicket)
                FROM profiles p WHERE p.user_id = \(userId) AND p.anonymized_at IS NULL
                FOR UPDATE OF p
                """, logger: logger
            ).value(Bool.self)
            guard stillEligible == true else { return false }
            try await Anonymisation.apply(userId, profileRow: .scrub, runtime: runtime, correlationId: correlationId, on: connection)
            return true
        }
        return done
    }
}
