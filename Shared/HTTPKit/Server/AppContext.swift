import Auth
import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The request context of every service: request id, authentication and client address. The
/// routes that need a verified caller run with a `CallerContext` made from it.
public struct AppContext: ServiceRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-ID`, or one minted for this request.
    public var requestId: String = ""
    /// What the bearer token (if any) proved. Routes that need a caller run in a group whose
    /// context checks it (`CallerContext`).
    public var auth: Authentication = .anonymous
    /// The TCP peer; behind the gateway the client's address comes in `X-Real-IP`.
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are decoded up to 64 KiB; larger ones are a 413.
    public var maxUploadSize: Int { JSONBody.maxBytes }
}
