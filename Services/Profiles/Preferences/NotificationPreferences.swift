import HTTPKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a customer wants to hear about, and how (CONTRACT §4).
struct NotificationPreferences: Encodable, Sendable, Equatable {
    enum Channel: String, Codable, Sendable, CaseIterable {
        case email = "EMAIL"
        case sms = "SMS"
        case push = "PUSH"
    }

    /// Flags in the order of the contract; marketing ones default to false, service ones to true.
    static let marketingFlags = ["emailMarketing", "smsMarketing", "pushMarketing", "newsletter", "promotionalOffers", "productUpdates"]
    static let serviceFlags = ["orderUpdates", "appointmentReminders"]
    static let flags = marketingFlags + serviceFlags

    var values: [String: Bool]
    var preferredChannel: Channel
    var optedOutAt: Date?
    /// nil until the customer first saves preferences (the defaults were never stored).
    var updatedAt: Date?

    static let defaults = NotificationPreferences(
        values: Dictionary(uniqueKeysWithValues: flags.map { ($0, serviceFlags.contains($0)) }),
        preferredChannel: .email, optedOutAt: nil, updatedAt: nil)

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        for flag in Self.flags { try c.encode(values[flag] ?? false, forKey: Key(flag)) }
        try c.encode(preferredChannel, forKey: Key("preferredChannel"))
        try c.encode(optedOutAt, forKey: Key("optedOutAt"))
        try c.encode(updatedAt, forKey: Key("updatedAt"))
    }

    /// PUT (`replacing`: omitted fields return to the defaults) or PATCH (only fields sent).
    static func read(_ body: JSONBody, over current: NotificationPreferences, replacing: Bool) throws(AppError) -> NotificationPreferences {
        var body = body
        let base = replacing ? defaults : current
        var next = base
        for flag in flags {
            if let value = body.optional(flag, .bool) { next.values[flag] = value }
        }
        next.preferredChannel = body.optional("preferredChannel", .oneOf(Channel.self)) ?? base.preferredChannel
        next.optedOutAt = current.optedOutAt
        try body.finish()
        return next
    }

    /// Which flags an opt-out clears.
    enum OptOut: String, CaseIterable, Sendable {
        case allMarketing = "ALL_MARKETING"
        case email = "EMAIL"
        case sms = "SMS"
        case push = "PUSH"
        case all = "ALL"

        var clears: [String] {
            switch self {
            case .allMarketing: NotificationPreferences.marketingFlags
            case .email: ["emailMarketing", "newsletter"]
            case .sms: ["smsMarketing"]
            case .push: ["pushMarketing"]
            case .all: NotificationPreferences.flags
            }
        }
    }
}
