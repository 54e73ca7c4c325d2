import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A customer's profile (CONTRACT §2).
struct Profile: Codable, Sendable, Equatable {
    @LowercaseID var id: UUID
    var userId: String
    @Nullable var email: String?
    var firstName: String
    var lastName: String
    @Nullable var phone: String?
    @Nullable var dateOfBirth: String?
    @Nullable var avatarUrl: String?
    var marketingConsent: Bool
    @Nullable var marketingConsentDate: Date?
    var preferredLanguage: String
    var preferredCurrency: String
    var isVerified: Bool
    var createdAt: Date
    var updatedAt: Date

}

/// The fields a customer may set, read from a request body with the contract's rules.
/// On create `firstName` and `lastName` are required; on update every field is optional and
/// the nullable ones may be cleared with `null`.
struct ProfileChanges: Sendable {
    var email: Patch<String> = .absent
    var firstName: String?
    var lastName: String?
    var phone: Patch<String> = .absent
    var dateOfBirth: Patch<String> = .absent
    var avatarUrl: Patch<String> = .absent
    var marketingConsent: Bool?
    var marketingConsentDate: Date?
    var preferredLanguage: String?
    var preferredCurrency: String?

    static func forCreate(_ body: JSONBody) throws(AppError) -> ProfileChanges {
        var body = body
        var changes = ProfileChanges()
        changes.firstName = body.required("firstName", .string(1...100))
        changes.lastName = body.required("lastName", .string(1...100))
        changes.readOptionalFields(&body)
        try body.finish()
        return changes
    }

    static func forUpdate(_ body: JSONBody) throws(AppError) -> ProfileChanges {
        var body = body
        var changes = ProfileChanges()
        changes.firstName = body.optional("firstName", .string(1...100))
        changes.lastName = body.optional("lastName", .string(1...100))
        changes.readOptionalFields(&body)
        try body.finish()
        return changes
    }

    private mutating func readOptionalFields(_ body: inout JSONBody) {
        email = body.nullable("email", .email)
        phone = body.nullable("phone", ProfileRules.phone)
        dateOfBirth = body.nullable("dateOfBirth", ProfileRules.dateOfBirth(today: Date()))
        avatarUrl = body.nullable("avatarUrl", .httpsURL(maxLength: 500))
        marketingConsent = body.optional("marketingConsent", .bool)
        marketingConsentDate = body.optional("marketingConsentDate", .timestamp)
        preferredLanguage = body.optional("preferredLanguage", ProfileRules.language)
        preferredCurrency = body.optional("preferredCurrency", ProfileRules.currency)
    }

    /// `profile` with these changes applied, and the names of the fields that changed.
    func applied(to profile: Profile, now: Date) -> (Profile, [String]) {
        var next = profile
        next.email = email.applied(to: profile.email)
        next.firstName = firstName ?? profile.firstName
        next.lastName = lastName ?? profile.lastName
        next.phone = phone.applied(to: profile.phone)
        next.dateOfBirth = dateOfBirth.applied(to: profile.dateOfBirth)
        next.avatarUrl = avatarUrl.applied(to: profile.avatarUrl)
        if let consent = marketingConsent {
            next.marketingConsent = consent
            // Consent given stamps its date (unless one is sent); withdrawn consent keeps the
            // record of when it was last given.
            if consent && !profile.marketingConsent { next.marketingConsentDate = marketingConsentDate ?? now }
        }
        if let date = marketingConsentDate { next.marketingConsentDate = date }
        next.preferredLanguage = preferredLanguage ?? profile.preferredLanguage
        next.preferredCurrency = preferredCurrency ?? profile.preferredCurrency

        var changed: [String] = []
        if next.email != profile.email { changed.append("email") }
        if next.firstName != profile.firstName { changed.append("firstName") }
        if next.lastName != profile.lastName { changed.append("lastName") }
        if next.phone != profile.phone { changed.append("phone") }
        if next.dateOfBirth != profile.dateOfBirth { changed.append("dateOfBirth") }
        if next.avatarUrl != profile.avatarUrl { changed.append("avatarUrl") }
        if next.marketingConsent != profile.marketingConsent { changed.append("marketingConsent") }
        if next.marketingConsentDate != profile.marketingConsentDate { changed.append("marketingConsentDate") }
        if next.preferredLanguage != profile.preferredLanguage { changed.append("preferredLanguage") }
        if next.preferredCurrency != profile.preferredCurrency { changed.append("preferredCurrency") }
        return (next, changed)
    }
}
