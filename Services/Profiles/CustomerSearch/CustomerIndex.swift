import Contracts
import HTTPKit
import Logging
import PostgresNIO
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The admin customer search index (ARCHITECTURE §10): one row per profile with its primary
/// postcode and a lower-cased search text (names, email, phone with and without punctuation,
/// postcode with and without its space). Profile writes refresh their row; the
/// `rebuild-customer-index` job rebuilds it all (and catches address changes).
enum CustomerIndex {
    struct Entry: Codable, Sendable {
        let userId: String
        let firstName: String
        let lastName: String
        @Nullable var email: String?
        @Nullable var phone: String?
        @Nullable var postcode: String?
        let createdAt: Date
    }

    /// The rows of the non-anonymised profiles, as a SELECT for INSERT (callers may add
    /// `AND …`).
    private static let rows =
        """
        SELECT p.user_id, p.first_name, p.last_name, p.email, p.phone, a.postcode, p.created_at,
               lower(concat_ws(' ', p.first_name, p.last_name, p.email, p.phone,
                               regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g'),
                               a.postcode, replace(coalesce(a.postcode, ''), ' ', '')))
        FROM profiles p LEFT JOIN addresses a ON a.user_id = p.user_id AND a.is_primary
        WHERE p.anonymized_at IS NULL
        """

    /// Refreshes one customer's row inside the caller's transaction.
    static func refresh(_ userId: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO customer_index (user_id, first_name, last_name, email, phone, postcode, created_at, search)
            \(unescaped: rows) AND p.user_id = \(userId)
            ON CONFLICT (user_id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                email = EXCLUDED.email, phone = EXCLUDED.phone, postcode = EXCLUDED.postcode, search = EXCLUDED.search
            """, logger: logger)
    }

    /// Rebuilds the whole index in one transaction; returns the number of rows.
    static func rebuild(_ database: Database, logger: Logger) async throws -> Int {
        try await database.transaction { connection in
            try await connection.query("DELETE FROM customer_index", logger: logger)
            try await connection.query(
                """
                INSERT INTO customer_index (user_id, first_name, last_name, email, phone, postcode, created_at, search)
                \(unescaped: rows)
                """, logger: logger)
            return try await connection.query("SELECT count(*)::int FROM customer_index", logger: logger).value(Int.self) ?? 0
        }
    }

    /// Customers whose names, email, phone or postcode contain `q` (case-insensitive),
    /// newest first like every list of the contract.
    static func search(_ q: String, page: Pagination, database: Database) async throws -> ([Entry], Int) {
        let text = q.lowercased().trimmingCharacters(in: .whitespaces)
        let pattern = "%" + escapeLike(text) + "%"
        // A phone typed with punctuation also matches its digits; a UK national number
        // (leading 0) also matches the international form (+44 without the 0).
        var digits = text.filter(\.isNumber)
        if digits.hasPrefix("0") { digits.removeFirst() }
        let digitPattern = digits.count >= 3 && text.allSatisfy({ "0123456789 +-()".contains($0) }) ? "%" + digits + "%" : pattern
        let total =
            try await database.query(
                """
                SELECT count(*)::int FROM customer_index WHERE search LIKE \(pattern) OR search LIKE \(digitPattern)
                """
            ).value(Int.self) ?? 0
        var entries: [Entry] = []
        for try await (userId, first, last, email, phone, postcode, createdAt) in try await database.query(
            """
            SELECT user_id, first_name, last_name, email, phone, postcode, created_at FROM customer_index
            WHERE search LIKE \(pattern) OR search LIKE \(digitPattern)
            ORDER BY created_at DESC, user_id LIMIT \(page.limit) OFFSET \(page.offset)
            """
        ).decode((String, String, String, String?, String?, String?, Date).self) {
            entries.append(
                Entry(userId: userId, firstName: first, lastName: last, email: email, phone: phone, postcode: postcode, createdAt: createdAt))
        }
        return (entries, total)
    }

    static func escapeLike(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }
}
