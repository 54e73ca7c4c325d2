import Storage

/// The profiles schema. SQL lives here so the binary is self-contained.
enum ProfilesMigrations {
    static let all = [
        Migration(
            1, "profiles",
            """
            CREATE TABLE profiles (
                id                     uuid        PRIMARY KEY,
                user_id                text        NOT NULL UNIQUE,
                email                  text,
                first_name             text        NOT NULL DEFAULT '',
                last_name              text        NOT NULL DEFAULT '',
                phone                  text,
                date_of_birth          date,
                avatar_url             text,
                marketing_consent      boolean     NOT NULL DEFAULT false,
                marketing_consent_date timestamptz,
                preferred_language     text        NOT NULL DEFAULT 'en',
                preferred_currency     text        NOT NULL DEFAULT 'GBP',
                is_verified            boolean     NOT NULL DEFAULT false,
                created_at             timestamptz NOT NULL DEFAULT now(),
                updated_at             timestamptz NOT NULL DEFAULT now()
            )
            """),
        Migration(
            2, "addresses",
            """
            CREATE TABLE addresses (
                id         uuid        PRIMARY KEY,
                user_id    text        NOT NULL,
                label      text        NOT NULL DEFAULT 'Home',
                line1      text        NOT NULL,
                line2      text,
                city       text        NOT NULL,
                county     text,
                postcode   text        NOT NULL,
                country    text        NOT NULL DEFAULT 'GB',
                is_primary boolean     NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX addresses_user_created ON addresses (user_id, created_at DESC)",
            // Exactly one primary per customer is enforced by the store; at most one, here.
            "CREATE UNIQUE INDEX addresses_one_primary ON addresses (user_id) WHERE is_primary"
        ),
        Migration(
            3, "notification preferences",
            """
            CREATE TABLE notification_preferences (
                user_id               text        PRIMARY KEY,
                email_marketing       boolean     NOT NULL,
                sms_marketing         boolean     NOT NULL,
                push_marketing        boolean     NOT NULL,
                newsletter            boolean     NOT NULL,
                promotional_offers    boolean     NOT NULL,
                product_updates       boolean     NOT NULL,
                order_updates         boolean     NOT NULL,
                appointment_reminders boolean     NOT NULL,
                preferred_channel     text        NOT NULL CHECK (preferred_channel IN ('EMAIL', 'SMS', 'PUSH')),
                opted_out_at          timestamptz,
                updated_at            timestamptz NOT NULL DEFAULT now()
            )
            """),
        // Read models fed by other contexts' events. Each row remembers the time of the event
        // that wrote it, so an older event arriving late never overwrites a newer state.
        Migration(
            4, "projections",
            """
            CREATE TABLE loyalty_summaries (
                user_id         text        PRIMARY KEY,
                points          int         NOT NULL,
                lifetime_points int         NOT NULL,
                tier            text        NOT NULL,
                event_at        timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE wishlist_summaries (
                user_id    text        PRIMARY KEY,
                item_count int         NOT NULL,
                event_at   timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE support_tickets (
                ticket_id  uuid        PRIMARY KEY,
                user_id    text        NOT NULL,
                ticket_ref text        NOT NULL,
                subject    text        NOT NULL,
                status     text        NOT NULL,
                priority   text        NOT NULL,
                updated_at timestamptz NOT NULL,
                event_at   timestamptz NOT NULL
            )
            """,
            "CREATE INDEX support_tickets_user_updated ON support_tickets (user_id, updated_at DESC)",
            """
            CREATE TABLE portal_orders (
                order_id     text          PRIMARY KEY,
                user_id      text          NOT NULL,
                order_ref    text,
                total_amount numeric(12,2) NOT NULL,
                currency     text          NOT NULL,
                item_count   int           NOT NULL,
                paid_at      timestamptz   NOT NULL
            )
            """,
            "CREATE INDEX portal_orders_user_paid ON portal_orders (user_id, paid_at DESC)",
            """
            CREATE TABLE portal_appointments (
                appointment_id   text        PRIMARY KEY,
                user_id          text        NOT NULL,
                appointment_type text        NOT NULL,
                showroom_id      text,
                scheduled_at     timestamptz NOT NULL,
                booked_at        timestamptz NOT NULL
            )
            """,
            "CREATE INDEX portal_appointments_user_scheduled ON portal_appointments (user_id, scheduled_at DESC)",
            """
            CREATE TABLE portal_brochure_requests (
                request_id    text        PRIMARY KEY,
                user_id       text        NOT NULL,
                brochure_type text,
                requested_at  timestamptz NOT NULL
            )
            """,
            "CREATE INDEX portal_brochure_requests_user ON portal_brochure_requests (user_id, requested_at DESC)"
        ),
        Migration(
            5, "customer index and anonymisation",
            """
            CREATE TABLE customer_index (
                user_id    text        PRIMARY KEY,
                first_name text        NOT NULL,
                last_name  text        NOT NULL,
                email      text,
                phone      text,
                postcode   text,
                created_at timestamptz NOT NULL,
                search     text        NOT NULL
            )
            """,
            """
            DO $$
            BEGIN
                -- Trigram index when pg_trgm is installed (the stack installs it); without it
                -- the search still works, by scanning this compact table.
                IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                    EXECUTE 'CREATE INDEX customer_index_search ON customer_index USING gin (search public.gin_trgm_ops)';
                ELSE
                    RAISE NOTICE 'pg_trgm is not installed: customer search will scan customer_index';
                END IF;
            END $$
            """,
            "CREATE INDEX customer_index_name ON customer_index (last_name, first_name)",
            "ALTER TABLE profiles ADD COLUMN anonymized_at timestamptz"
        ),
        Migration(
            6, "privacy requests",
            """
            CREATE TABLE privacy_requests (
                id             uuid        PRIMARY KEY,
                user_id        text        NOT NULL,
                kind           text        NOT NULL CHECK (kind IN ('EXPORT', 'ERASURE')),
                status         text        NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED', 'ERASED', 'ALREADY_ERASED')),
                requested_by   text        NOT NULL,
                requested_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                completed_at   timestamptz,
                expires_at     timestamptz,
                -- the contexts whose whole part has arrived (an export's)
                ready_contexts text[]      NOT NULL DEFAULT '{}'
            )
            """,
            "CREATE INDEX privacy_requests_user ON privacy_requests (user_id, requested_at DESC)",
            // One pending export per customer; the timeout sweep finds the pending ones by age.
            "CREATE UNIQUE INDEX privacy_requests_one_pending ON privacy_requests (user_id) WHERE status = 'PENDING'",
            "CREATE INDEX privacy_requests_pending ON privacy_requests (requested_at) WHERE status = 'PENDING'",
            "CREATE INDEX privacy_requests_expiring ON privacy_requests (expires_at) WHERE expires_at IS NOT NULL",
            """
            CREATE TABLE privacy_export_parts (
                export_id uuid NOT NULL REFERENCES privacy_requests ON DELETE CASCADE,
                context   text NOT NULL,
                chunk     int  NOT NULL,
                chunks    int  NOT NULL CHECK (chunk BETWEEN 1 AND chunks),
                part      text NOT NULL,
                PRIMARY KEY (export_id, context, chunk)
            )
            """
        ),
        // An erasure cancels the customer's exports (CONTRACT §13).
        Migration(
            7, "cancelled exports",
            """
            ALTER TABLE privacy_requests DROP CONSTRAINT privacy_requests_status_check,
                ADD CONSTRAINT privacy_requests_status_check
                CHECK (status IN ('PENDING', 'READY', 'FAILED', 'CANCELLED', 'ERASED', 'ALREADY_ERASED'))
            """),
    ]
}
