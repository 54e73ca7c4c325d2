#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Payloads of the privacy-request events (CONTRACT §13). Profiles asks; every context,
// profiles included, answers an export request with its part.

public struct DataExportRequested: EventPayload, Equatable {
    @LowercaseID public var exportId: UUID
    public var userId: String
    public var requestedAt: Date
    /// The customer's latest anonymisation (`customer.profile.anonymized`'s `anonymizedAt`)
    /// before the request, if any: a context answers only once it has applied that one, so an
    /// export made after an erasure never holds what the erasure removed (docs/events.md).
    public var anonymizedAt: Date?
    public init(exportId: UUID, userId: String, requestedAt: Date, anonymizedAt: Date? = nil) {
        self.exportId = exportId
        self.userId = userId
        self.requestedAt = requestedAt
        self.anonymizedAt = anonymizedAt
    }
}

/// One chunk of one context's part. `part` is a JSON object whose keys are the export
/// document's (`profile`, `tickets`, `loyalty`, …); a large part is split into `chunks`
/// messages that deep-merge back into it (`ExportChunks`).
public struct DataExportPart: EventPayload, Equatable {
    /// The contexts that answer: an export is READY when each has sent its whole part.
    public static let contexts = ["profiles", "engagement", "support", "loyalty"]

    @LowercaseID public var exportId: UUID
    public var userId: String
    public var context: String
    public var part: JSONValue
    /// 1-based.
    public var chunk: Int
    public var chunks: Int
    public init(exportId: UUID, userId: String, context: String, part: JSONValue, chunk: Int, chunks: Int) {
        self.exportId = exportId
        self.userId = userId
        self.context = context
        self.part = part
        self.chunk = chunk
        self.chunks = chunks
    }
}

public struct ErasureRequested: EventPayload, Equatable {
    public var userId: String
    public var requestedAt: Date
    /// The user id of whoever asked: the customer, or the admin acting on an emailed request.
    public var requestedBy: String
    public init(userId: String, requestedAt: Date, requestedBy: String) {
        self.userId = userId
        self.requestedAt = requestedAt
        self.requestedBy = requestedBy
    }
}
