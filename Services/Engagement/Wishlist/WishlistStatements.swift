import EventBus
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The wishlist's hot write as a prepared statement: parsed and planned once per pooled
/// connection instead of on every add.
enum WishlistStatements {
    /// Creates the wishlist or takes its row lock while counting the item in (only below the
    /// limit), inserts the item, and writes the events with the count and the database's clock
    /// read under that lock. Returns the item; no row when the wishlist is full. A product
    /// already saved fails the unique constraint, and the whole statement with it.
    struct Add: PostgresPreparedStatement {
        static let sql = """
            WITH list AS (
                INSERT INTO wishlists AS w (user_id, id, item_count) VALUES ($1, $2, 1)
                ON CONFLICT (user_id) DO UPDATE SET item_count = w.item_count + 1 WHERE w.item_count < \(Wishlist.limit)
                RETURNING item_count, clock_timestamp() AS now
            ), item AS (
                INSERT INTO wishlist_items (id, user_id, product_id, category, notes)
                SELECT $3, $1, $4, $5, $6 FROM list
                RETURNING \(WishlistStore.itemColumns)
            ), events AS (
                INSERT INTO outbox (id, topic, key, value, traceparent, tracestate)
                SELECT e.id, e.topic, e.key,
                       jsonb_set(jsonb_set(e.value::jsonb, '{payload,itemCount}', to_jsonb(list.item_count)),
                                 '{occurredAt}', to_jsonb(to_char(list.now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text,
                       $11, $12
                FROM unnest($7::uuid[], $8::text[], $9::text[], $10::text[]) AS e (id, topic, key, value), list
            )
            SELECT \(WishlistStore.itemColumns) FROM item
            """
        static let bindingDataTypes: [PostgresDataType] = [
            .text, .uuid, .uuid, .text, .text, .text, .uuidArray, .textArray, .textArray, .textArray, .text, .text,
        ]
        typealias Row = WishlistItem

        let userId: String
        let item: NewWishlistItem
        /// The events to publish; the statement sets their `itemCount` and `occurredAt`.
        let events: OutboxRows

        func makeBindings() -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 12)
            bindings.append(userId)
            bindings.append(UUID())
            bindings.append(UUID())
            bindings.append(item.productId)
            bindings.append(item.category.rawValue)
            bindings.append(item.notes)
            bindings.append(events.ids)
            bindings.append(events.topics)
            bindings.append(events.keys)
            bindings.append(events.values)
            bindings.append(events.traceParent)
            bindings.append(events.traceState)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> WishlistItem { try WishlistStore.item(row) }
    }
}
