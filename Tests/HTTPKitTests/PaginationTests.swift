import Foundation
import HTTPKit
import HummingbirdTesting
import Testing
import TestSupport

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

    @Test func defaultsBoundsAndPagesThroughHTTP() async throws {
        try await withTestService(ProbeService.self) { client, _ in
            let token = try await TestEnvironment.token(TestEnvironment.uniqueUser())
            for i in 1...5 {
                try await client.execute(
                    uri: "/v1/customers/widgets", method: .post, headers: bearer(token, jsonHeaders),
                    body: jsonBody(#"{"name":"w\#(i)-\#(UUID().uuidString.prefix(8))","size":\#(i)}"#)
                ) { #expect($0.status == .created) }
            }
            try await client.execute(uri: "/v1/customers/widgets", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                let json = try response.json()
                let meta = try #require(json["meta"] as? [String: Any])
                #expect(meta["page"] as? Int == 1 && meta["limit"] as? Int == 20 && meta["total"] as? Int == 5)
                #expect(meta["totalPages"] as? Int == 1)
                #expect(meta["hasNextPage"] as? Bool == false && meta["hasPreviousPage"] as? Bool == false)
                // Newest first.
                #expect((json["data"] as? [[String: Any]])?.map { $0["size"] as? Int } == [5, 4, 3, 2, 1])
            }
            try await client.execute(uri: "/v1/customers/widgets?page=2&limit=2", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                let json = try response.json()
                let meta = try #require(json["meta"] as? [String: Any])
                #expect(meta["totalPages"] as? Int == 3 && meta["hasNextPage"] as? Bool == true && meta["hasPreviousPage"] as? Bool == true)
                #expect((json["data"] as? [[String: Any]])?.map { $0["size"] as? Int } == [3, 2])
            }
            for query in ["limit=0", "limit=101", "page=0", "page=abc", "limit=-1"] {
                try await client.execute(uri: "/v1/customers/widgets?\(query)", method: .get, headers: bearer(token)) { (response: TestResponse) async throws in
                    #expect(response.status == .unprocessableContent, "\(query)")
                    let field = String(query.prefix { $0 != "=" })
                    #expect(try response.errorDetails().keys.contains(field), "\(query)")
                }
            }
        }
    }
}
