import Storage

/// The loyalty schema, one migration per change, applied in order.
enum LoyaltyMigrations {
    static let all: [Migration] = []
}
