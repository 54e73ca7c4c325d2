import Storage

/// The support schema. A ticket's reference is unique and well formed, its status and
/// stamps agree, and a ticket is rated at most once — in the database as well as in code.
enum SupportMigrations {
    static let all = [
        Migration(
            1, "tickets, messages and ratings",
            """
            CREATE TABLE tickets (
                id                uuid        PRIMARY KEY,
                ticket_ref        text        NOT NULL UNIQUE CHECK (ticket_ref ~ '^TKT-[A-Z0-9]{8}$'),
                user_id           text        NOT NULL,
                subject           text        NOT NULL,
                category          text        NOT NULL DEFAULT 'GENERAL'
                                  CHECK (category IN ('ORDER', 'DELIVERY', 'PRODUCT', 'APPOINTMENT', 'PAYMENT', 'REFUND', 'GENERAL', 'OTHER')),
                priority          text        NOT NULL DEFAULT 'MEDIUM' CHECK (priority IN ('LOW', 'MEDIUM', 'HIGH', 'URGENT')),
                status            text        NOT NULL DEFAULT 'OPEN'
                                  CHECK (status IN ('OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED')),
                assigned_to       text,
                order_id          text,
                first_response_at timestamptz,
                resolved_at       timestamptz,
                closed_at         timestamptz,
                created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                CHECK ((status = 'RESOLVED') = (resolved_at IS NOT NULL) OR status = 'CLOSED'),
                CHECK ((status = 'CLOSED') = (closed_at IS NOT NULL))
            )
            """,
            // A customer's tickets; the staff queue, unfiltered and by status or assignee; the
            // auto-close job's scan.
            "CREATE INDEX tickets_user_newest ON tickets (user_id, created_at DESC)",
            "CREATE INDEX tickets_newest ON tickets (created_at DESC)",
            "CREATE INDEX tickets_status_newest ON tickets (status, created_at DESC)",
            "CREATE INDEX tickets_priority_newest ON tickets (priority, created_at DESC)",
            "CREATE INDEX tickets_category_newest ON tickets (category, created_at DESC)",
            "CREATE INDEX tickets_assignee_newest ON tickets (assigned_to, created_at DESC) WHERE assigned_to IS NOT NULL",
            "CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE status = 'RESOLVED'",
            """
            CREATE TABLE ticket_messages (
                id          uuid        PRIMARY KEY,
                ticket_id   uuid        NOT NULL REFERENCES tickets,
                sender_type text        NOT NULL CHECK (sender_type IN ('CUSTOMER', 'AGENT', 'SYSTEM')),
                sender_id   text        NOT NULL,
                message     text        NOT NULL,
                is_internal boolean     NOT NULL DEFAULT false,
                created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at)",
            """
            CREATE TABLE ticket_ratings (
                ticket_id uuid        PRIMARY KEY REFERENCES tickets,  -- rated once
                rating    int         NOT NULL CHECK (rating BETWEEN 1 AND 5),
                comment   text,
                rated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """
        )
    ]
}
