import Contracts
import EventBus
import Logging
import PostgresNIO

/// `wishlist_summaries`, the dashboard's wishlist count and onboarding's step: from
/// `customer.wishlist.updated`, one statement a run, the newest event per customer winning.
enum WishlistSummaries {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.onBatch(Topics.wishlistUpdated) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            try await connection.query(
                """
                INSERT INTO wishlist_summaries (user_id, item_count, event_at)
                SELECT * FROM unnest(\(newest.map(\.payload.userId))::text[], \(newest.map(\.payload.itemCount))::int8[],
                    \(newest.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (user_id) DO UPDATE SET item_count = EXCLUDED.item_count, event_at = EXCLUDED.event_at
                WHERE wishlist_summaries.event_at <= EXCLUDED.event_at
                """, logger: logger)
        }
    }
}
