import Storage

/// The loyalty schema. Points are money to customers: the invariants live in the database.
enum LoyaltyMigrations {
    static let all = [
        Migration(
            1, "accounts and ledger",
            """
            CREATE TABLE accounts (
                user_id         text        PRIMARY KEY,
                points_balance  int         NOT NULL DEFAULT 0 CHECK (points_balance >= 0),
                lifetime_points int         NOT NULL DEFAULT 0 CHECK (lifetime_points >= 0),
                redeemed_points int         NOT NULL DEFAULT 0,
                expired_points  int         NOT NULL DEFAULT 0,
                tier            text        NOT NULL DEFAULT 'BRONZE',
                created_at      timestamptz NOT NULL DEFAULT now(),
                updated_at      timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE transactions (
                id              uuid        PRIMARY KEY,
                user_id         text        NOT NULL REFERENCES accounts,
                type            text        NOT NULL CHECK (type IN ('EARN', 'REDEEM', 'ADJUSTMENT', 'EXPIRE')),
                points          int         NOT NULL CHECK (points <> 0),
                balance_after   int         NOT NULL CHECK (balance_after >= 0),
                reason          text        NOT NULL,
                reference_type  text,
                reference_id    text,
                expires_at      timestamptz,
                idempotency_key text        UNIQUE,
                created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX transactions_user_created ON transactions (user_id, created_at DESC)",
            """
            CREATE FUNCTION ledger_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'loyalty ledger entries are immutable';
            END $$
            """,
            """
            CREATE TRIGGER transactions_immutable BEFORE UPDATE OR DELETE ON transactions
            FOR EACH ROW EXECUTE FUNCTION ledger_is_immutable()
            """,
            // What is left of each earned batch; spending takes the oldest first.
            """
            CREATE TABLE lots (
                transaction_id uuid        PRIMARY KEY REFERENCES transactions,
                user_id        text        NOT NULL,
                remaining      int         NOT NULL CHECK (remaining >= 0),
                earned_at      timestamptz NOT NULL,
                expires_at     timestamptz NOT NULL
            )
            """,
            "CREATE INDEX lots_user_open ON lots (user_id, earned_at) WHERE remaining > 0"
        ),
        // One earn per order: a redelivered event or a second event for the same order earns nothing.
        Migration(
            2, "one earn per order",
            """
            CREATE UNIQUE INDEX transactions_one_earn_per_order ON transactions (reference_id)
            WHERE type = 'EARN' AND reference_type = 'order'
            """),
        Migration(
            3, "referrals, customer names and expiry",
            """
            CREATE TABLE referral_codes (
                user_id    text        PRIMARY KEY,
                code       text        NOT NULL UNIQUE CHECK (code = upper(code)),
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE referrals (
                id                      uuid        PRIMARY KEY,
                code                    text        NOT NULL,
                referrer_id             text        NOT NULL,
                referee_id              text        NOT NULL UNIQUE,  -- one referral per referee
                status                  text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'COMPLETED')),
                referrer_points_awarded int         NOT NULL DEFAULT 0 CHECK (referrer_points_awarded >= 0),
                referee_points_awarded  int         NOT NULL DEFAULT 0 CHECK (referee_points_awarded >= 0),
                order_id                text,
                created_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
                completed_at            timestamptz,
                CHECK (referrer_id <> referee_id),
                CHECK ((status = 'COMPLETED') = (completed_at IS NOT NULL))
            )
            """,
            "CREATE INDEX referrals_referrer_created ON referrals (referrer_id, created_at DESC)",
            // A referral credits each party at most once.
            """
            CREATE UNIQUE INDEX transactions_one_credit_per_referral ON transactions (reference_id, user_id)
            WHERE type = 'EARN' AND reference_type = 'REFERRAL'
            """,
            // Display names from customer.profile.updated, for `referrerName`; newest event wins.
            """
            CREATE TABLE customer_names (
                user_id    text        PRIMARY KEY,
                first_name text,
                last_name  text,
                event_at   timestamptz NOT NULL
            )
            """,
            // The expiry job's scan: open lots by expiry date.
            "CREATE INDEX lots_open_expiry ON lots (expires_at) WHERE remaining > 0"
        ),
        // Bumped by every change: a write that read the account without locking it applies
        // only if no other change came in between (LedgerStore.post).
        Migration(4, "account versions", "ALTER TABLE accounts ADD COLUMN version bigint NOT NULL DEFAULT 0"),
        // Every paid order seen, for the referral rules (CONTRACT §9): a customer with a paid
        // order cannot be referred, and only the referee's first paid order completes a
        // referral. An order that earned no points (under £1) counts too, so the ledger alone
        // cannot say; it does know the orders that earned, which is every order seen so far.
        Migration(
            5, "paid orders",
            """
            CREATE TABLE paid_orders (
                order_id text        PRIMARY KEY,
                user_id  text        NOT NULL,
                paid_at  timestamptz NOT NULL
            )
            """,
            "CREATE INDEX paid_orders_user ON paid_orders (user_id)",
            """
            INSERT INTO paid_orders (order_id, user_id, paid_at)
            SELECT reference_id, user_id, created_at FROM transactions WHERE type = 'EARN' AND reference_type = 'order'
            ON CONFLICT DO NOTHING
            """
        ),
    ]
}
