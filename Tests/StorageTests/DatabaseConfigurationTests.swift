import PostgresNIO
import Testing

@testable import Storage

@Suite struct DatabaseConfigurationTests {
    /// Each timer postgres-nio arms when a connection goes idle is cancelled at the next lease
    /// but holds its memory until its deadline (swiftlang/swift#60441); under the soak's mixed
    /// load that was 10 MB of each context's heap (docs/decisions/0008).
    @Test func anIdleConnectionArmsNoKeepAliveAndClosesAfterTenSeconds() throws {
        let configuration = try DatabaseConfiguration(url: "postgres://app:secret@db.internal:5433/shop", schema: "loyalty", maxConnections: 8)
        let options = configuration.clientConfiguration.options
        #expect(options.keepAliveBehavior == nil)
        #expect(options.connectionIdleTimeout == .seconds(10))
        #expect(options.maximumConnections == 8)
        #expect(options.minimumConnections == 0)
    }
}
