import Storage

/// The profiles schema, one migration per change, applied in order.
enum ProfilesMigrations {
    static let all: [Migration] = []
}
