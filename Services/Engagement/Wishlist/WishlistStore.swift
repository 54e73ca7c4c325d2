import Foundation
import HTTPKit

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
        let itemCount = category == nil ? count : try await runtime.database.query("""
            SELECT count(*)::int FROM wishlist_items WHERE user_id = \(userId) AND category = \(category?.rawValue)
            """).value(Int.self) ?? 0
        let items = try await Self.items(runtime.database.query("""
            SELECT \(unescaped: Self.itemColumns) FROM wishlist_items
            WHERE user_id = \(userId) AND (\(category?.rawValue)::text IS NULL OR category = \(category?.rawValue))
            ORDER BY added_at DESC, id LIMIT \(page.limit) OFFSET \(page.offset)
            """))
        return Wishlist(id: id, userId: userId, items: items, itemCount: itemCount)
    }

    /// The item holding `productId` in the caller's wishlist, if any.
    func item(_ userId: String, productId: String) async throws -> UUID? {
        try await runtime.database.query(
            "SELECT id FROM wishlist_items WHERE user_id = \(userId) AND product_id = \(productId)").value(UUID.self)
    }

    private func findOrCreate(_ userId: String) async throws -> (UUID, Int) {
        if let found = try await runtime.database.query(
            "SELECT id, item_count FROM wishlists WHERE user_id = \(userId)").decode((UUID, Int).self).firstElement() { return found }
        // Only on the first access: an upsert, so a concurrent creation is read, not missed.
        guard let created = try await runtime.database.query("""
            INSERT INTO wishlists AS w (user_id, id) VALUES (\(userId), \(UUID()))
            ON CONFLICT (user_id) DO UPDATE SET item_count = w.item_count RETURNING id, item_count
            """).decode((UUID, Int).self).firstElement() else { throw AppError.internalError }
        return created
    }

    // MARK: Changing

    /// 409 when the product is already saved, 422 when the wishlist is full.
    ///
    /// The hot write, so one autocommitted statement: it creates the wishlist or takes its row
    /// lock while counting the item in (only below the limit), inserts the item, and writes the
    /// event with the count and the database's clock read under that lock. A product already
    /// saved fails the unique constraint and the whole statement with it.
    func add(_ userId: String, _ new: NewWishlistItem, correlationId: String) async throws -> WishlistItem {
        let events = try event(.added, userId: userId, productId: new.productId, itemCount: 0, at: Date(), correlationId: correlationId)
        do {
            let added = try await Self.items(runtime.database.query("""
                WITH list AS (
                    INSERT INTO wishlists AS w (user_id, id, item_count) VALUES (\(userId), \(UUID()), 1)
                    ON CONFLICT (user_id) DO UPDATE SET item_count = w.item_count + 1 WHERE w.item_count < \(Wishlist.limit)
                    RETURNING item_count, clock_timestamp() AS now
                ), item AS (
                    INSERT INTO wishlist_items (id, user_id, product_id, category, notes)
                    SELECT \(UUID()), \(userId), \(new.productId), \(new.category.rawValue), \(new.notes) FROM list
                    RETURNING \(unescaped: Self.itemColumns)
                ), events AS (
                    INSERT INTO outbox (id, topic, key, value)
                    SELECT e.id, e.topic, e.key, \(unescaped: Self.stamped("e.value", count: "list.item_count", at: "list.now"))
                    FROM unnest(\(events.ids)::uuid[], \(events.topics)::text[], \(events.keys)::text[], \(events.values)::text[])
                        AS e (id, topic, key, value), list
                )
                SELECT \(unescaped: Self.itemColumns) FROM item
                """))
            if let item = added.first {
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

    /// An encoded `customer.wishlist.updated` envelope (SQL text `value`) with the payload's
    /// `itemCount` and the envelope's `occurredAt` set from the statement's own results, in the
    /// format `Timestamp.iso8601` writes.
    static func stamped(_ value: String, count: String, at time: String) -> String {
        """
        jsonb_set(jsonb_set(\(value)::jsonb, '{payload,itemCount}', to_jsonb(\(count))),
                  '{occurredAt}', to_jsonb(to_char(\(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text
        """
    }

    /// Removes one of the caller's items; false when they have no such item.
    func remove(_ userId: String, item id: UUID, correlationId: String) async throws -> Bool {
        try await runtime.database.transaction { connection in
            guard let (count, now) = try await lock(userId, on: connection),
                  let productId = try await connection.query(
                    "SELECT product_id FROM wishlist_items WHERE id = \(id) AND user_id = \(userId)", logger: logger).value(String.self)
            else { return false }
            let events = try event(.removed, userId: userId, productId: productId, itemCount: count - 1, at: now, correlationId: correlationId)
            try await connection.query("""
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
        try await connection.query("""
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

    static func items(_ rows: PostgresRowSequence) async throws -> [WishlistItem] {
        var items: [WishlistItem] = []
        for try await (id, productId, category, notes, addedAt) in rows.decode((UUID, String, String, String?, Date).self) {
            items.append(WishlistItem(
                id: id, productId: productId, category: ProductCategory(rawValue: category) ?? .KITCHEN, notes: notes, addedAt: addedAt))
        }
        return items
    }
}
