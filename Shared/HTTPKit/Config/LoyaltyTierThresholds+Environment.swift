extension LoyaltyTierThresholds {
    /// `LOYALTY_SILVER_THRESHOLD`, `LOYALTY_GOLD_THRESHOLD`, `LOYALTY_PLATINUM_THRESHOLD`, read
    /// the same way by loyalty (which assigns tiers) and profiles (whose dashboard shows the next).
    public init(_ env: EnvironmentVariables) throws(ConfigurationError) {
        self.init(
            silver: try env.int("LOYALTY_SILVER_THRESHOLD", default: 1000, range: 1...100_000_000),
            gold: try env.int("LOYALTY_GOLD_THRESHOLD", default: 5000, range: 1...100_000_000),
            platinum: try env.int("LOYALTY_PLATINUM_THRESHOLD", default: 15000, range: 1...100_000_000))
    }
}
