import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Postcode rules of CONTRACT §3.
enum Postcode {
    /// UK postcodes: outward code (area, district) and inward code (sector, unit), e.g.
    /// `SW1A 1AA`, `M1 1AE`, `B33 8TH`, `CR2 6XH`, `DN55 1PT`; plus the special `GIR 0AA`.
    private static let uk = #"^(GIR ?0AA|[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2})$"#

    /// ISO 3166-1 alpha-2, upper-cased.
    static let countryRule = FieldRule<String>.matching("^[A-Za-z]{2}$", length: 2...2, message: "must be an ISO 3166-1 alpha-2 country code")
        .map(fallback: "GB") { .success($0.uppercased()) }

    /// GB postcodes are upper-cased with one space before the inward code; others are kept
    /// as sent (trimmed) if they are 3–10 letters, digits, spaces or dashes.
    static func normalise(_ raw: String, country: String) -> Result<String, RuleFailure> {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard country == "GB" else {
            guard trimmed.range(of: #"^[A-Za-z0-9 -]{3,10}$"#, options: .regularExpression) != nil else {
                return .failure(RuleFailure("must be 3–10 letters, digits, spaces or dashes"))
            }
            return .success(trimmed)
        }
        let compact = trimmed.uppercased().replacingOccurrences(of: " ", with: "")
        guard compact.count >= 5, compact.count <= 7, compact.range(of: uk, options: .regularExpression) != nil else {
            return .failure(RuleFailure("must be a valid UK postcode"))
        }
        return .success(String(compact.dropLast(3)) + " " + String(compact.suffix(3)))
    }
}
