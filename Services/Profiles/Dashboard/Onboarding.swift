/// How far a customer is through setting up their account (CONTRACT §2).
struct Onboarding: Encodable, Sendable {
    struct Step: Encodable, Sendable {
        let key: String
        let label: String
        let done: Bool
        /// Where the customer completes the step (used by the dashboard's quick actions).
        let href: String

        enum CodingKeys: String, CodingKey { case key, label, done }
    }

    let hasProfile: Bool
    let hasAddress: Bool
    let hasNotificationPreferences: Bool
    let hasWishlistItem: Bool
    let steps: [Step]

    init(hasProfile: Bool, hasAddress: Bool, hasNotificationPreferences: Bool, hasWishlistItem: Bool) {
        self.hasProfile = hasProfile
        self.hasAddress = hasAddress
        self.hasNotificationPreferences = hasNotificationPreferences
        self.hasWishlistItem = hasWishlistItem
        steps = [
            Step(key: "profile", label: "Complete your profile", done: hasProfile, href: "/v1/customers/profile"),
            Step(key: "address", label: "Add a delivery address", done: hasAddress, href: "/v1/customers/addresses"),
            Step(
                key: "notificationPreferences", label: "Choose your notification preferences", done: hasNotificationPreferences,
                href: "/v1/customers/notification-preferences"),
            Step(key: "wishlist", label: "Save a product to your wishlist", done: hasWishlistItem, href: "/v1/customers/wishlist"),
        ]
    }

    var completedSteps: Int { steps.filter(\.done).count }
    var totalSteps: Int { steps.count }
    var percentComplete: Int { completedSteps * 100 / totalSteps }

    enum CodingKeys: String, CodingKey {
        case hasProfile, hasAddress, hasNotificationPreferences, hasWishlistItem, completedSteps, totalSteps, percentComplete, steps
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hasProfile, forKey: .hasProfile)
        try c.encode(hasAddress, forKey: .hasAddress)
        try c.encode(hasNotificationPreferences, forKey: .hasNotificationPreferences)
        try c.encode(hasWishlistItem, forKey: .hasWishlistItem)
        try c.encode(completedSteps, forKey: .completedSteps)
        try c.encode(totalSteps, forKey: .totalSteps)
        try c.encode(percentComplete, forKey: .percentComplete)
        try c.encode(steps, forKey: .steps)
    }
}
