import HTTPKit
import Logging
import PostgresNIO
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Address SQL. Writes for one customer are serialised by a transaction-scoped advisory lock,
/// so the limit and the one-primary rule hold under concurrent requests.
struct AddressStore: Sendable {
    let database: Database
    let logger: Logger

    static let columns = "id, label, line1, line2, city, county, postcode, country, is_primary, created_at, updated_at"

    /// Primary first, then newest first.
    func list(_ userId: String) async throws -> [Address] {
        try await Self.all(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM addresses WHERE user_id = \(userId)
                ORDER BY is_primary DESC, created_at DESC
                """))
    }

    func find(_ userId: String, _ id: UUID) async throws -> Address? {
        try await Self.all(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM addresses WHERE id = \(id) AND user_id = \(userId)")
        ).first
    }

    func primary(_ userId: String) async throws -> Address? {
        try await Self.all(
            database.query(
                "SELECT \(unescaped: Self.columns) FROM addresses WHERE user_id = \(userId) AND is_primary")
        ).first
    }

    func create(_ userId: String, _ changes: AddressChanges) async throws -> Address {
        let logger = self.logger
        return try await database.transaction { connection in
            try await Self.lock(userId, connection, logger)
            let count =
                try await connection.query(
                    "SELECT count(*)::int FROM addresses WHERE user_id = \(userId)", logger: logger
                ).value(Int.self) ?? 0
            guard count < Address.limit else {
                throw AppError.validation(field: "addresses", "A customer can have at most \(Address.limit) addresses")
            }
            // The first address is primary; a new primary takes the flag from the old one.
            let isPrimary = count == 0 || changes.isPrimary == true
            if isPrimary {
                try await connection.query(
                    "UPDATE addresses SET is_primary = false, updated_at = clock_timestamp() WHERE user_id = \(userId) AND is_primary", logger: logger
                )
            }
            let address = try await Self.all(
                connection.query(
                    """
                    INSERT INTO addresses (id, user_id, label, line1, line2, city, county, postcode, country, is_primary)
                    VALUES (\(UUID()), \(userId), \(changes.label ?? "Home"), \(changes.line1 ?? ""), \(changes.line2.applied(to: nil)),
                        \(changes.city ?? ""), \(changes.county.applied(to: nil)), \(changes.postcode ?? ""), \(changes.country ?? "GB"),
                        \(isPrimary))
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger))[0]
            try await CustomerIndex.refresh(userId, on: connection, logger: logger)
            return address
        }
    }

    /// nil when the customer has no such address.
    func update(_ userId: String, _ id: UUID, _ changes: AddressChanges) async throws -> Address? {
        let logger = self.logger
        return try await database.transaction { connection -> Address? in
            try await Self.lock(userId, connection, logger)
            guard
                let current = try await Self.all(
                    connection.query(
                        "SELECT \(unescaped: Self.columns) FROM addresses WHERE id = \(id) AND user_id = \(userId)", logger: logger)
                ).first
            else { return nil }
            if changes.isPrimary == false && current.isPrimary {
                throw AppError.validation(
                    field: "isPrimary", "isPrimary cannot be cleared on the primary address; make another address primary instead")
            }
            if changes.isPrimary == true && !current.isPrimary {
                try await connection.query(
                    "UPDATE addresses SET is_primary = false, updated_at = clock_timestamp() WHERE user_id = \(userId) AND is_primary", logger: logger
                )
            }
            let address = try await Self.all(
                connection.query(
                    """
                    UPDATE addresses SET
                        label = \(changes.label ?? current.label), line1 = \(changes.line1 ?? current.line1),
                        line2 = \(changes.line2.applied(to: current.line2)), city = \(changes.city ?? current.city),
                        county = \(changes.county.applied(to: current.county)), postcode = \(changes.postcode ?? current.postcode),
                        country = \(changes.country ?? current.country), is_primary = \(current.isPrimary || changes.isPrimary == true),
                        updated_at = clock_timestamp()
                    WHERE id = \(id)
                    RETURNING \(unescaped: Self.columns)
                    """, logger: logger)
            ).first
            // The search index follows the primary postcode.
            try await CustomerIndex.refresh(userId, on: connection, logger: logger)
            return address
        }
    }

    /// False when the customer has no such address. Deleting the primary promotes the most
    /// recently created remaining address.
    func delete(_ userId: String, _ id: UUID) async throws -> Bool {
        let logger = self.logger
        return try await database.transaction { connection -> Bool in
            try await Self.lock(userId, connection, logger)
            guard
                let wasPrimary = try await connection.query(
                    "DELETE FROM addresses WHERE id = \(id) AND user_id = \(userId) RETURNING is_primary", logger: logger
                ).value(Bool.self)
            else { return false }
            if wasPrimary {
                try await connection.query(
                    """
                    UPDATE addresses SET is_primary = true, updated_at = clock_timestamp()
                    WHERE id = (SELECT id FROM addresses WHERE user_id = \(userId) ORDER BY created_at DESC LIMIT 1)
                    """, logger: logger)
            }
            try await CustomerIndex.refresh(userId, on: connection, logger: logger)
            return true
        }
    }

    private static func lock(_ userId: String, _ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.lockUntilCommit("addresses:" + userId, logger: logger)
    }

    static func all(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [Address] {
        var addresses: [Address] = []
        for try await (id, label, line1, line2, city, county, postcode, country, isPrimary, createdAt, updatedAt)
            in rows.decode((UUID, String, String, String?, String, String?, String, String, Bool, Date, Date).self)
        {
            addresses.append(
                Address(
                    id: id, label: label, line1: line1, line2: line2, city: city, county: county, postcode: postcode,
                    country: country, isPrimary: isPrimary, createdAt: createdAt, updatedAt: updatedAt))
        }
        return addresses
    }
}
