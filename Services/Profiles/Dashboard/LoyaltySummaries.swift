import Contracts
import EventBus
import Logging
import PostgresNIO

/// `loyalty_summaries`, the dashboard's points and tier: from `customer.loyalty_account.updated`
/// (ARCHITECTURE §5). Every loyalty write lands here, so a run of events is one statement; the
/// write is guarded by the event time, so the newest state wins whatever the arrival order.
enum LoyaltySummaries {
    static func register(on handlers: inout EventHandlers, logger: Logger) {
        handlers.onBatch(Topics.loyaltyAccountUpdated) { events, connection in
            let newest = events.newestPerKey { UserID($0.payload.userId) }
            try await connection.query(
                """
                INSERT INTO loyalty_summaries (user_id, points, lifetime_points, tier, event_at)
                SELECT * FROM unnest(\(newest.map(\.payload.userId))::text[], \(newest.map(\.payload.points))::int8[],
                    \(newest.map(\.payload.lifetimePoints))::int8[], \(newest.map(\.payload.tier.rawValue))::text[],
                    \(newest.map(\.occurredAt))::timestamptz[])
                ON CONFLICT (user_id) DO UPDATE SET points = EXCLUDED.points, lifetime_points = EXCLUDED.lifetime_points,
                    tier = EXCLUDED.tier, event_at = EXCLUDED.event_at
                WHERE loyalty_summaries.event_at <= EXCLUDED.event_at
                """, logger: logger)
        }
    }
}
