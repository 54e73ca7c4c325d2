import Contracts
import Crypto
import JWTKit
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Verifies HS256 tokens signed with the secret shared with the auth-service.
public struct TokenVerifier: Sendable {
    private let keys: JWTKeyCollection
    private let issuer: String?
    private let audience: String?
    private let leeway: TimeInterval
    private let recent = VerifiedTokens()

    /// - Parameters:
    ///   - issuer: when set, `iss` must equal it.
    ///   - audience: when set, `aud` must include it.
    ///   - leeway: clock skew tolerated on `exp` and `nbf`.
    public init(secret: String, issuer: String? = nil, audience: String? = nil, leeway: TimeInterval = 30) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// Verifies a compact JWS and returns its principal, or the reason it is not acceptable.
    public func verify(_ token: String, now: Date = Date()) async throws(AuthFailure) -> Principal {
        // The same token arrives on every request of a session: verify it once, then trust
        // the exact same string (signature included) until it expires.
        if let principal = recent.principal(for: token, now: now) { return principal }
        return try await verifyUncached(token, now: now)
    }

    private func verifyUncached(_ token: String, now: Date) async throws(AuthFailure) -> Principal {
        // jwt-kit picks the key, not the header's `alg`; insist on HS256 so `alg: none`
        // or an asymmetric algorithm can never be negotiated by the caller.
        guard Self.isCanonicalCompact(token), Self.headerDeclaresHS256(token) else { throw .unauthenticated("Invalid token") }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw .unauthenticated("Invalid token")
        }
        do {
            try claims.exp.verifyNotExpired(currentDate: now.addingTimeInterval(-leeway))
        } catch {
            throw .unauthenticated("Token expired")
        }
        // RFC 7519 §4.1.5: not to be accepted before `nbf`.
        if let notBefore = claims.nbf?.value, notBefore > now.addingTimeInterval(leeway) {
            throw .unauthenticated("Token not valid yet")
        }
        if let issuer, claims.iss?.value != issuer { throw .unauthenticated("Invalid token issuer") }
        if let audience {
            guard let aud = claims.aud, aud.value.contains(audience) else {
                throw .unauthenticated("Invalid token audience")
            }
        }
        let subject = claims.sub.value
        guard UserID.isValid(subject) else { throw .unauthenticated("Invalid token subject") }
        let role: Role
        if let raw = claims.role {
            guard let parsed = Role(rawValue: raw) else { throw .unauthenticated("Invalid token role") }
            role = parsed
        } else {
            role = .customer
        }
        let principal = Principal(userId: subject, role: role, email: claims.email)
        recent.remember(token, principal, until: claims.exp.value.addingTimeInterval(leeway), now: now)
        return principal
    }

    /// Three parts of canonical base64url without padding (RFC 7515 §2, RFC 4648 §3.5): a
    /// decoder ignores the unused low bits of a part's last character, so without this check
    /// one signature would have several spellings, each accepted as a different token.
    static func isCanonicalCompact(_ token: String) -> Bool {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return false }
        return parts.allSatisfy { part in
            guard let last = part.last, let lastValue = base64URLValue(last), part.allSatisfy({ base64URLValue($0) != nil }) else {
                return false
            }
            switch part.count % 4 {
            case 0: return true
            case 2: return lastValue & 0b1111 == 0  // 12 bits carry one byte: the low 4 are unused
            case 3: return lastValue & 0b11 == 0  // 18 bits carry two bytes: the low 2 are unused
            default: return false  // one character cannot carry a byte
            }
        }
    }

    private static func base64URLValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }

    private static func headerDeclaresHS256(_ token: String) -> Bool {
        guard let dot = token.firstIndex(of: "."),
            let data = Data(base64URLEncoded: String(token[..<dot])),
            let header = try? JSONDecoder().decode(Header.self, from: data)
        else { return false }
        return header.alg == "HS256"
    }

    private struct Header: Decodable { var alg: String }
}

/// Tokens verified recently, with their principal and the moment they stop being valid.
///
/// Kept by the token's SHA-256 rather than by the token itself: an entry then lives inside the
/// table, where a copy of each token (200–400 bytes) would be an allocation of its own, and ten
/// thousand of those, scattered among the requests' short-lived allocations, keep heap pages in
/// use long after the requests are gone (docs/performance.md). Expired entries go at most a
/// minute after their token expires. Bounded: when full it starts over, which costs one
/// re-verification per token.
final class VerifiedTokens: Sendable {
    private struct Entry {
        let principal: Principal
        let validUntil: Date
    }

    private let state = Mutex<(entries: [SHA256Digest: Entry], nextSweep: Date)>(([:], .distantPast))
    private let capacity: Int
    static let sweepInterval: TimeInterval = 60

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    func principal(for token: String, now: Date) -> Principal? {
        let key = Self.key(token)
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now < entry.validUntil else {
                state.entries[key] = nil
                return nil
            }
            return entry.principal
        }
    }

    func remember(_ token: String, _ principal: Principal, until validUntil: Date, now: Date = Date()) {
        let key = Self.key(token)
        state.withLock { state in
            if now >= state.nextSweep {
                state.entries = state.entries.filter { now < $0.value.validUntil }
                state.nextSweep = now.addingTimeInterval(Self.sweepInterval)
            }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(principal: principal, validUntil: validUntil)
        }
    }

    var count: Int { state.withLock { $0.entries.count } }

    private static func key(_ token: String) -> SHA256Digest {
        var token = token
        return token.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }
}

extension Data {
    /// Base64url (RFC 4648 §5) without padding, as JWTs use.
    init?(base64URLEncoded string: String) {
        var base64 = string.replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
