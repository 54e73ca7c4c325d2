import Contracts
import Foundation
import HTTPKit
import Hummingbird
import TestSupport
import Testing

@Suite struct PaginationTests {
    @Test func metaArithmetic() {
        #expect(Pagination(page: 1, limit: 20).meta(total: 0) == PageMeta(page: 1, limit: 20, total: 0))
        let middle = Pagination(page: 2, limit: 10).meta(total: 25)
        #expect(middle.totalPages == 3 && middle.hasNextPage && middle.hasPreviousPage)
        let last = Pagination(page: 3, limit: 10).meta(total: 25)
        #expect(last.totalPages == 3 && !last.hasNextPage && last.hasPreviousPage)
        let empty = Pagination(page: 1, limit: 10).meta(total: 0)
        #expect(empty.totalPages == 0 && !empty.hasNextPage && !empty.hasPreviousPage)
        let beyond = Pagination(page: 5, limit: 10).meta(total: 25)
        #expect(!beyond.hasNextPage && beyond.hasPreviousPage)
        #expect(Pagination(page: 3, limit: 10).offset == 20)
    }
}

@Suite(.needsTestServers) struct PaginationHTTPTests {
    /// A customer with five widgets, sizes 1 to 5, created in that order.
    func withFiveWidgets(_ body: @Sendable (_ api: API, _ user: String) async throws -> Void) async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            for i in 1...5 {
                let created = try await api.post("/widgets", as: user, body: ["name": "w\(i)-\(UUID().uuidString.prefix(8))", "size": .int(i)])
                #expect(created.status == .created)
            }
            try await body(api, user)
        }
    }

    @Test func aListDefaultsToTheFirstPageOf20NewestFirst() async throws {
        try await withFiveWidgets { api, user in
            let answer = try await api.get("/widgets", as: user)
            let meta = try answer.meta()
            #expect(meta.page == 1 && meta.limit == 20 && meta.total == 5)
            #expect(meta.totalPages == 1)
            #expect(meta.hasNextPage == false && meta.hasPreviousPage == false)
            #expect(try answer.data([ProbeService.Widget].self).map(\.size) == [5, 4, 3, 2, 1])
        }
    }

    @Test func aMiddlePageHasItsSliceAndPagesOnBothSides() async throws {
        try await withFiveWidgets { api, user in
            let answer = try await api.get("/widgets?page=2&limit=2", as: user)
            let meta = try answer.meta()
            #expect(meta.totalPages == 3 && meta.hasNextPage == true && meta.hasPreviousPage == true)
            #expect(try answer.data([ProbeService.Widget].self).map(\.size) == [3, 2])
        }
    }

    @Test func aPageOrLimitOutOfBoundsIs422NamingIt() async throws {
        try await withProbe { api, _ in
            let user = TestEnvironment.uniqueUser()
            for query in ["limit=0", "limit=101", "page=0", "page=abc", "limit=-1"] {
                let answer = try await api.get("/widgets?\(query)", as: user)
                #expect(answer.status == .unprocessableContent, "\(query)")
                let field = String(query.prefix { $0 != "=" })
                #expect(answer.errorDetails.keys.contains(field), "\(query)")
            }
        }
    }
}
