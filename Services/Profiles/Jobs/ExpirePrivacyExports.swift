import ServiceKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `expire-privacy-exports` (every 5 minutes): exports still waiting for a part after
/// `PRIVACY_EXPORT_TIMEOUT_SECONDS` become FAILED, and documents past their 7 days are
/// deleted. Reads do the first for their own customer at once; this keeps the audit true for
/// customers who never look again, and the personal data from outliving its use.
enum ExpirePrivacyExports {
    static func job(privacy: PrivacyStore) -> Job {
        Job("expire-privacy-exports", schedule: "*/5 * * * *") { context in
            if context.dryRun {
                let (wouldFail, wouldDelete) = try await privacy.due()
                return JobOutcome(counts: ["wouldFail": wouldFail, "wouldDelete": wouldDelete])
            }
            let failed = try await privacy.failOverdue()
            let deleted = try await privacy.pruneExpired()
            return JobOutcome(counts: ["failed": failed, "deleted": deleted])
        }
    }
}
