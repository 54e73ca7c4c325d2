import Contracts
import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A postal address of a customer (CONTRACT §3).
struct Address: Codable, Sendable, Equatable {
    @LowercaseID var id: UUID
    var label: String
    var line1: String
    @Nullable var line2: String?
    var city: String
    @Nullable var county: String?
    var postcode: String
    var country: String
    var isPrimary: Bool
    var createdAt: Date
    var updatedAt: Date

    /// At most this many addresses per customer.
    static let limit = 10
}

/// An address as sent by the customer: all fields on create, any subset on update. The
/// postcode is checked (and normalised) against the country the address ends up with.
struct AddressChanges: Sendable {
    var label: String?
    var line1: String?
    var line2: Patch<String> = .absent
    var city: String?
    var county: Patch<String> = .absent
    var postcode: String?
    var country: String?
    var isPrimary: Bool?

    static func forCreate(_ body: JSONBody) throws(AppError) -> AddressChanges {
        var body = body
        var changes = AddressChanges()
        changes.label = body.optional("label", .string(1...50))
        changes.line1 = body.required("line1", .string(1...200))
        changes.line2 = body.nullable("line2", .string(0...200))
        changes.city = body.required("city", .string(1...100))
        changes.county = body.nullable("county", .string(0...100))
        changes.country = body.optional("country", Postcode.countryRule)
        changes.isPrimary = body.optional("isPrimary", .bool)
        let postcode = body.required("postcode", .string(1...20))
        // With an invalid country there is no rule to check the postcode against.
        if !(body.contains("country") && changes.country == nil) {
            changes.postcode = changes.checkPostcode(postcode, country: changes.country ?? "GB", body: &body)
        }
        try body.finish()
        return changes
    }

    static func forUpdate(_ body: JSONBody, current country: String) throws(AppError) -> AddressChanges {
        var body = body
        var changes = AddressChanges()
        changes.label = body.optional("label", .string(1...50))
        changes.line1 = body.optional("line1", .string(1...200))
        changes.line2 = body.nullable("line2", .string(0...200))
        changes.city = body.optional("city", .string(1...100))
        changes.county = body.nullable("county", .string(0...100))
        changes.country = body.optional("country", Postcode.countryRule)
        changes.isPrimary = body.optional("isPrimary", .bool)
        if body.contains("country") && changes.country == nil {
            // An invalid country was reported; the postcode cannot be judged against it.
            _ = body.optional("postcode", .string(1...20))
        } else if let postcode = body.optional("postcode", .string(1...20)) {
            changes.postcode = changes.checkPostcode(postcode, country: changes.country ?? country, body: &body)
        } else if let newCountry = changes.country, newCountry != country {
            body.fail("postcode", "is required when the country changes")
        }
        try body.finish()
        return changes
    }

    private func checkPostcode(_ raw: String, country: String, body: inout JSONBody) -> String? {
        switch Postcode.normalise(raw, country: country) {
        case .success(let postcode): return postcode
        case .failure(let failure):
            body.fail("postcode", failure.message)
            return nil
        }
    }
}
