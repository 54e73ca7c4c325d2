import Contracts
import EventBus
import HTTPKit
import Logging
import PostgresNIO
import ServiceKit
import Storage

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Wishlist SQL. Every change takes the wishlist's row lock first, then — in later statements,
/// which see what committed while it waited — writes the items, the count and
/// `customer.wishlist.updated` in the same transaction. The lock keeps the count exact under
/// concurrent changes (the 101st add waits and is refused), and each event is stamped with the
/// database's clock read under it, so profiles' "newest event wins" projection ends on the true
/// count whichever replica wrote the events.
struct WishlistStore: Sendable {
    let runtime: Runtime
    var logger: Logger { runtime.logger }

    static let itemColumns = "id, product_id, category, notes, added_at"

    // MARK: Reading

    /// A page of the caller's wishlist, created empty on first access.
    func wishlist(_ userId: String, category: ProductCategory?, page: Pagination) async throws -> Wishlist {
        let (id, count) = try await findOrCreate(userId)
        let itemCount =
            category == nil
            ? count
            : try await runtime.database.query(
                """
                SELECT count(*)::int FROM wishlist_items WHERE user_id = \(userId) AND category = \(category?.rawValue)
                """
            ).value(Int.self) ?? 0
        let items = try await Self.items(
            runtime.database.query(
                """
                SELECT \(unescaped: Self.itemColumns) FROM wishlist_items
                WHERE user_id = \(userId) AND (\(category?.rawValue)::text IS NULL OR category = \(category?.rawValue))
                ORDER BY added_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
                """))
        return Wishlist(id: id, userId: userId, items: items, itemCount: itemCount)
    }

    /// The whole wishlist, or nil when the customer has none (a data export must not create one),
    /// read on `connection` (the export's inbox transaction).
    func existing(_ userId: String, on connection: PostgresConnection) async throws -> Wishlist? {
        guard
            let (id, count) = try await connection.query(
                "SELECT id, item_count FROM wishlists WHERE user_id = \(userId)", logger: logger
            ).decode((UUID, Int).self).firstElement()
        else { return nil }
        let items = try await Self.items(
            connection.query(
                """
                SELECT \(unescaped: Self.itemColumns) FROM wishlist_items WHERE user_id = \(userId) ORDER BY added_at DESC, id
                """, logger: logger))
        return Wishlist(id: id, userId: userId, items: items, itemCount: count)
    }

    /// The item holding `productId` in the caller's wishlist, if any.
    func item(_ userId: String, productId: String) async throws -> UUID? {
        try await runtime.database.query(
            "SELECT id FROM wishlist_items WHERE user_id = \(userId) AND product_id = \(productId)"
        ).value(UUID.self)
    }

    private func findOrCreate(_ userId: String) async throws -> (UUID, Int) {
        if let found = try await runtime.database.query(
            "SELECT id, item_count FROM wishlists WHERE user_id = \(userId)"
        ).decode((UUID, Int).self).firstElement() {
            return found
        }
        // Only on the first access: an upsert, so a concurrent creation is read, not missed.
        guard
            let created = try await runtime.database.query(
                """
                INSERT INTO wishlists AS w (user_id, id) VALUES (\(userId), \(UUID()))
                ON CONFLICT (user_id) DO UPDATE SET item_count = w.item_count RETURNING id, item_count
                """
            ).decode((UUID, Int).self).firstElement()
        else { throw AppError.internalError }
        return created
    }

    // MARK: Changing

    /// 409 when the product is already saved, 422 when the wishlist is full. The hot write:
    /// one autocommitted prepared statement (`WishlistStatements.Add`).
    func add(_ userId: String, _ new: NewWishlistItem, correlationId: String) async throws -> WishlistItem {
        let events = try event(.added, userId: userId, productId: new.productId, itemCount: 0, at: Date(), correlationId: correlationId)
        do {
            if let item = try await runtime.database.execute(WishlistStatements.Add(userId: userId, item: new, events: events)).first {
                await runtime.outbox.wakeRelayAfterCommit()
                return item
            }
        } catch StorageError.uniqueViolation {
            throw AppError.conflict("The product is already in your wishlist")
        }
        // Nothing written: the wishlist is full. A product already saved is the answer that
        // tells the customer more.
        if try await item(userId, productId: new.productId) != nil {
            throw AppError.conflict("The product is already in your wishlist")
        }
        throw AppError.validation(field: "items", "A wishlist holds at most \(Wishlist.limit) items")
    }

    /// Removes one of the caller's items; false when they have no such item.
    func remove(_ userId: String, item id: UUID, correlationId: String) async throws -> Bool {
        try await runtime.database.transaction { connection in
            guard let (count, now) = try await lock(userId, on: connection),
                let productId = try await connection.query(
                    "SELECT product_id FROM wishlist_items WHERE id = \(id) AND user_id = \(userId)", logger: logger
                ).value(String.self)
            else { return false }
            let events = try event(.removed, userId: userId, productId: productId, itemCount: count - 1, at: now, correlationId: correlationId)
            try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM wishlist_items WHERE id = \(id)
                ), counted AS (
                    UPDATE wishlists SET item_count = item_count - 1 WHERE user_id = \(userId)
                ), events AS (\(outboxInsert: events))
                SELECT 1
                """, logger: logger)
            await runtime.outbox.wakeRelayAfterCommit()
            return true
        }
    }

    /// Empties the caller's wishlist; publishes only when there was something to remove.
    func clear(_ userId: String, correlationId: String) async throws {
        try await runtime.database.transaction { connection in
            try await clear(userId, correlationId: correlationId, on: connection)
        }
    }

    /// `clear` inside the caller's transaction (the erasure handler's).
    func clear(_ userId: String, correlationId: String, on connection: PostgresConnection) async throws {
        guard let (count, now) = try await lock(userId, on: connection), count > 0 else { return }
        let events = try event(.cleared, userId: userId, productId: nil, itemCount: 0, at: now, correlationId: correlationId)
        try await connection.query(
            """
            WITH gone AS (
                DELETE FROM wishlist_items WHERE user_id = \(userId)
            ), counted AS (
                UPDATE wishlists SET item_count = 0 WHERE user_id = \(userId)
            ), events AS (\(outboxInsert: events))
            SELECT 1
            """, logger: logger)
        await runtime.outbox.wakeRelayAfterCommit()
    }

    /// The wishlist's count under its row lock, and the database's clock once it is held; nil
    /// when the customer has no wishlist.
    private func lock(_ userId: String, on connection: PostgresConnection) async throws -> (Int, Date)? {
        try await connection.query(
            "SELECT item_count, clock_timestamp() FROM wishlists WHERE user_id = \(userId) FOR UPDATE", logger: logger
        ).decode((Int, Date).self).firstElement()
    }

    // MARK: Events

    private func event(
        _ action: WishlistUpdated.Action, userId: String, productId: String?, itemCount: Int, at now: Date, correlationId: String
    ) throws -> OutboxRows {
        var rows = OutboxRows()
        try runtime.outbox.add(
            Topics.wishlistUpdated, userId: userId,
            payload: WishlistUpdated(userId: userId, action: action, productId: productId, itemCount: itemCount),
            correlationId: correlationId, occurredAt: now, to: &rows)
        return rows
    }

    static func items(_ rows: some AsyncSequence<PostgresRow, any Error>) async throws -> [WishlistItem] {
        var items: [WishlistItem] = []
        for try await row in rows { items.append(try item(row)) }
        return items
    }

    /// A row of `itemColumns`.
    static func item(_ row: PostgresRow) throws -> WishlistItem {
        let (id, productId, category, notes, addedAt) = try row.decode((UUID, String, String, String?, Date).self)
        return WishlistItem(id: id, productId: productId, category: try .stored(category), notes: notes, addedAt: addedAt)
    }
}
