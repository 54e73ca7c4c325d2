import Storage

/// The support schema, one migration per change, applied in order.
enum SupportMigrations {
    static let all: [Migration] = []
}
