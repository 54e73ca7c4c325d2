import Auth
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What every route's context offers besides Hummingbird's: the request id, and the ids read
/// from the path.
public protocol ServiceRequestContext: RequestContext {
    /// The caller's `X-Request-ID`, or one minted for this request.
    var requestId: String { get }
}

extension ServiceRequestContext {
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

/// Who may call the routes of a group (CONTRACT §1's roles).
public protocol AccessRule: Sendable {
    /// The verified caller, or 401 (no or a bad token) / 403 (a role the rule does not admit).
    static func caller(_ auth: Authentication) throws(AuthFailure) -> Principal
}

/// Any valid token; the routes act on the caller's own data.
public enum AnyCustomer: AccessRule {
    public static func caller(_ auth: Authentication) throws(AuthFailure) -> Principal { try auth.customer() }
}

/// `agent` or `admin`.
public enum StaffOnly: AccessRule {
    public static func caller(_ auth: Authentication) throws(AuthFailure) -> Principal { try auth.staff() }
}

/// `admin` only.
public enum AdminOnly: AccessRule {
    public static func caller(_ auth: Authentication) throws(AuthFailure) -> Principal { try auth.admin() }
}

/// The context of a route that needs a verified caller. It is made from the service's
/// `AppContext` when a route of its group has matched — after routing, so an unknown path is
/// still a 404 without a token — and making it is what answers 401 or 403.
///
///     routes.group(context: CustomerContext.self).get("/wishlist", use: wishlist)
///     @Sendable func wishlist(_ request: Request, context: CustomerContext) async throws -> Response {
///         … context.caller.userId …
///     }
public struct CallerContext<Rule: AccessRule>: ChildRequestContext, ServiceRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestId: String
    /// Who is calling, as the token proved it.
    public let caller: Principal

    public init(context: AppContext) throws {
        caller = try Rule.caller(context.auth)
        coreContext = context.coreContext
        requestId = context.requestId
    }

    /// Bodies are decoded up to 64 KiB; larger ones are a 413.
    public var maxUploadSize: Int { JSONBody.maxBytes }
}

public typealias CustomerContext = CallerContext<AnyCustomer>
public typealias StaffContext = CallerContext<StaffOnly>
public typealias AdminContext = CallerContext<AdminOnly>
