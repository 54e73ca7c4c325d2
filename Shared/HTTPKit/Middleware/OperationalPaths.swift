/// `/health`, `/health/ready` and `/metrics` (CONTRACT §11): health probes and metrics scrapes,
/// which are not traffic, so they are neither rate-limited nor logged at `info` when they succeed.
enum OperationalPaths {
    static func contains(_ path: String) -> Bool {
        path == "/metrics" || path == "/health" || path.hasPrefix("/health/")
    }
}
