import Foundation
import HTTPKit

/// `expire-privacy-exports` (every 5 minutes): exports still waiting for a part after
/// `PRIVACY_EXPORT_TIMEOUT_SECONDS` become FAILED, and documents past their 7 days are
/// deleted. Reads do the first for their own customer at once; this keeps the audit true for
/// customers who never look again, and the personal data from outliving its use.
enum ExpirePrivacyExports {
    static func job(privacy: PrivacyStore) -> Job {
        Job("expire-privacy-exports", schedule: "*/5 * * * *") { context in
            if context.dryRun {
                let due = try await context.runtime.database.query("""
                    SELECT count(*)::int FROM privacy_requests r
                    WHERE EXISTS (SELECT 1 FROM privacy_export_parts p WHERE p.export_id = r.id) AND r.expires_at <= now()
                    """).value(Int.self) ?? 0
                return JobOutcome(counts: ["wouldDelete": due])
            }
            let failed = try await privacy.failOverdue()
            let deleted = try await privacy.pruneExpired()
            return JobOutcome(counts: ["failed": failed, "deleted": deleted])
        }
    }
}
