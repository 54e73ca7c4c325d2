import Storage

/// The engagement schema, one migration per change, applied in order.
enum EngagementMigrations {
    static let all: [Migration] = []
}
