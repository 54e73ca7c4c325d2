import Auth
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Hummingbird
import NIOCore

/// The request context of every service: request id, authentication and client address.
public struct AppContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The caller's `X-Request-ID`, or one minted for this request.
    public var requestId: String = ""
    /// What the bearer token (if any) proved. Routes ask with `customer()`, `staff()`, `admin()`.
    public var auth: Authentication = .anonymous
    /// The TCP peer; behind the gateway the client's address comes in `X-Real-IP`.
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// Bodies are decoded up to 64 KiB; larger ones are a 413.
    public var maxUploadSize: Int { JSONBody.maxBytes }

    /// Any authenticated caller (401 otherwise).
    public func customer() throws(AuthFailure) -> Principal { try auth.customer() }
    /// `agent` or `admin` (401 / 403 otherwise).
    public func staff() throws(AuthFailure) -> Principal { try auth.staff() }
    /// `admin` (401 / 403 otherwise).
    public func admin() throws(AuthFailure) -> Principal { try auth.admin() }

    /// A resource id from the path (`:id`); a malformed one is a 404 like an unknown one
    /// (CONTRACT §1), with `notFound` as its message.
    public func resourceId(_ name: String = "id", notFound message: String) throws(AppError) -> UUID {
        guard let id = parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw AppError.notFound(message) }
        return id
    }

    /// An opaque id from the path (a product id, a user id), percent-decoded and not trimmed;
    /// one that cannot be such an id (longer than `maxLength` characters, or with a NUL) is a
    /// 404 like an unknown one.
    public func opaqueId(_ name: String, maxLength: Int, notFound message: String) throws(AppError) -> String {
        guard let raw = parameters.get(name),
              let id = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : raw,
              (1...maxLength).contains(id.unicodeScalars.count), !id.unicodeScalars.contains("\u{0}")
        else { throw AppError.notFound(message) }
        return id
    }
}
