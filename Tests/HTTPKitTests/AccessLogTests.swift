import Testing

@testable import HTTPKit

@Suite struct AccessLogTests {
    /// Traffic is logged at `info` whatever its status; probes and scrapes only when they fail.
    @Test func probesThatSucceedAreLoggedAtDebug() {
        #expect(EdgeMiddleware.accessLogLevel(route: "/health/ready", status: 200) == .debug)
        #expect(EdgeMiddleware.accessLogLevel(route: "/health", status: 200) == .debug)
        #expect(EdgeMiddleware.accessLogLevel(route: "/metrics", status: 200) == .debug)
        #expect(EdgeMiddleware.accessLogLevel(route: "/health/ready", status: 503) == .info)
        #expect(EdgeMiddleware.accessLogLevel(route: "/v1/customers/profile", status: 200) == .info)
        #expect(EdgeMiddleware.accessLogLevel(route: "/v1/customers/profile", status: 404) == .info)
        #expect(EdgeMiddleware.accessLogLevel(route: "NotFound", status: 404) == .info)
    }
}
