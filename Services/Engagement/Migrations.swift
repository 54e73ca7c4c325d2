import Domain
import Storage

/// The engagement schema, one migration per change, applied in order. The rules customers
/// rely on live here as well as in code: one entry per product in a wishlist, at most 100
/// entries, one review per customer and product.
enum EngagementMigrations {
    static let all = [
        Migration(
            1, "wishlists",
            """
            CREATE TABLE wishlists (
                user_id    text        PRIMARY KEY,
                id         uuid        NOT NULL UNIQUE,
                item_count int         NOT NULL DEFAULT 0 CHECK (item_count BETWEEN 0 AND 100),
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE wishlist_items (
                id         uuid        PRIMARY KEY,
                user_id    text        NOT NULL REFERENCES wishlists ON DELETE CASCADE,
                product_id text        NOT NULL,
                category   text        NOT NULL CHECK (category IN ('KITCHEN', 'BEDROOM')),
                notes      text,
                added_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
                -- Also serves every read of one customer's items: at most 100 rows to sort,
                -- so no index by date costs every add another insert.
                UNIQUE (user_id, product_id)
            )
            """
        ),
        Migration(
            2, "reviews, ratings, purchases and names",
            """
            CREATE TABLE reviews (
                id                uuid        PRIMARY KEY,
                user_id           text        NOT NULL,
                product_id        text        NOT NULL,
                order_id          text,
                category          text        CHECK (category IN ('KITCHEN', 'BEDROOM')),
                rating            int         NOT NULL CHECK (rating BETWEEN 1 AND 5),
                title             text        NOT NULL,
                body              text        NOT NULL,
                images            text[]      NOT NULL DEFAULT '{}',
                status            text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
                rejection_reason  text,
                verified_purchase boolean     NOT NULL DEFAULT false,
                created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
                moderated_at      timestamptz,
                UNIQUE (user_id, product_id)  -- one review per customer and product
            )
            """,
            // The public product page, by date and by rating; the caller's own list; the
            // moderation queue, oldest first.
            "CREATE INDEX reviews_product_newest ON reviews (product_id, created_at DESC) WHERE status = 'APPROVED'",
            "CREATE INDEX reviews_product_highest ON reviews (product_id, rating DESC, created_at DESC) WHERE status = 'APPROVED'",
            "CREATE INDEX reviews_product_lowest ON reviews (product_id, rating, created_at DESC) WHERE status = 'APPROVED'",
            "CREATE INDEX reviews_user_newest ON reviews (user_id, created_at DESC)",
            "CREATE INDEX reviews_moderation ON reviews (status, created_at)",
            // Approved reviews per rating (counts[1] … counts[5]), changed in the same
            // transaction as each moderation: the summary is one row, never an aggregate.
            """
            CREATE TABLE product_ratings (
                product_id text  PRIMARY KEY,
                counts     int[] NOT NULL CHECK (cardinality(counts) = 5 AND 0 <= ALL (counts))
            )
            """,
            // What each customer has paid for, from order.payment.succeeded: verifiedPurchase.
            """
            CREATE TABLE purchases (
                user_id    text        NOT NULL,
                product_id text        NOT NULL,
                order_id   text        NOT NULL,
                paid_at    timestamptz NOT NULL,
                PRIMARY KEY (user_id, product_id)
            )
            """,
            CustomerNames.table
        ),
    ]
}
