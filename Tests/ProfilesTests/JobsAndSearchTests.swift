import Contracts
import Foundation
import HummingbirdTesting
import PostgresNIO
@testable import profiles
import ServiceKit
import Testing
import TestSupport

@Suite struct JobsAndSearchTests {
    func post(_ client: any TestClientProtocol, _ token: String, _ path: String, _ body: String) async throws {
        let status = try await client.execute(uri: "/v1/customers" + path, method: .post, headers: bearer(token, jsonHeaders), body: jsonBody(body)) { $0.status }
        #expect(status == .created, "\(path)")
    }

    func job(_ name: String, _ app: ServiceApp) throws -> Job {
        try #require(app.jobs.first { $0.name == name })
    }

    @Test func searchFindsCustomersByPartialNameEmailPhoneAndPostcodeAfterARebuild() async throws {
        try await withTestService(ProfilesService.self) { client, app in
            let ada = TestEnvironment.uniqueUser(), bob = TestEnvironment.uniqueUser()
            let adaToken = try await TestEnvironment.token(ada), bobToken = try await TestEnvironment.token(bob)
            try await post(client, adaToken, "/profile", #"{"firstName":"Ada","lastName":"Lovelace","email":"ada@analytical.example","phone":"+44 20 7946 0958"}"#)
            try await post(client, adaToken, "/addresses", #"{"line1":"1 Street","city":"London","postcode":"sw1a1aa"}"#)
            try await post(client, bobToken, "/profile", #"{"firstName":"Bob","lastName":"Babbage","email":"bob@engine.example"}"#)
            try await post(client, bobToken, "/addresses", #"{"line1":"2 Road","city":"Manchester","postcode":"M1 1AE"}"#)

            let result = try await JobRunner(runtime: app.runtime).run(try job("rebuild-customer-index", app))
            #expect(result == .succeeded(JobOutcome(counts: ["indexed": 2])))

            let admin = try await TestEnvironment.token("admin-1", role: .admin)
            func search(_ q: String) async throws -> [String] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
                return try await client.execute(uri: "/v1/customers/admin/customers?q=\(encoded)", method: .get, headers: bearer(admin)) { r in
                    #expect(r.status == .ok)
                    return (try r.json()["data"] as? [[String: Any]] ?? []).compactMap { $0["userId"] as? String }
                }
            }
            #expect(try await search("lovel") == [ada])
            #expect(try await search("ENGINE.example") == [bob])
            #expect(try await search("020 7946") == [ada])
            #expect(try await search("7946 0958") == [ada])
            #expect(try await search("SW1A 1") == [ada])
            #expect(try await search("sw1a1") == [ada])
            #expect(try await search("m1 1ae") == [bob])
            #expect(try await search("zzz").isEmpty)
            #expect(Set(try await search("a")) == [ada, bob])
            #expect(try await search(".example") == [bob, ada])  // newest first
            try await client.execute(uri: "/v1/customers/admin/customers?q=ada", method: .get, headers: bearer(adaToken)) { (r: TestResponse) async throws in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/v1/customers/admin/customers?q=ada", method: .get) { (r: TestResponse) async throws in
                #expect(r.status == .unauthorized)
            }
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM job_runs WHERE job = 'rebuild-customer-index' AND outcome = 'succeeded'") == 1)
        }
    }

    @Test func anonymisationScrubsInactiveProfilesAndSkipsOnesWithOpenTickets() async throws {
        try await withTestService(ProfilesService.self) { client, app in
            let database = app.runtime.database
            let inactive = TestEnvironment.uniqueUser(), withTicket = TestEnvironment.uniqueUser(), active = TestEnvironment.uniqueUser()
            for user in [inactive, withTicket, active] {
                let token = try await TestEnvironment.token(user)
                try await post(client, token, "/profile", #"{"firstName":"Old","lastName":"Timer","email":"\#(user)@example.com","phone":"01234 567890","dateOfBirth":"1950-05-05"}"#)
                try await post(client, token, "/addresses", #"{"line1":"1 Lane","city":"York","postcode":"YO1 7HH"}"#)
            }
            try await database.query("""
                UPDATE profiles SET updated_at = now() - interval '800 days' WHERE user_id IN (\(inactive), \(withTicket))
                """)
            try await database.query("""
                UPDATE addresses SET updated_at = now() - interval '800 days' WHERE user_id IN (\(inactive), \(withTicket))
                """)
            try await database.query("""
                INSERT INTO support_tickets (ticket_id, user_id, ticket_ref, subject, status, priority, updated_at, event_at)
                VALUES (\(UUID()), \(withTicket), 'TKT-OPEN0001', 'Still waiting', 'OPEN', 'LOW', now() - interval '800 days', now())
                """)
            let anonymize = try job("anonymize-inactive-users", app)
            let runner = JobRunner(runtime: app.runtime)

            let dryRun = try await runner.run(anonymize, dryRun: true)
            #expect(dryRun == .succeeded(JobOutcome(counts: ["wouldAnonymize": 1], details: [inactive])))
            #expect(try await database.scalar("SELECT count(*)::int FROM profiles WHERE anonymized_at IS NOT NULL") == 0)

            #expect(try await runner.run(anonymize) == .succeeded(JobOutcome(counts: ["anonymized": 1])))
            for try await (first, email, phone, dob, anonymizedAt) in try await database.query("""
                SELECT first_name, email, phone, date_of_birth::text, anonymized_at FROM profiles WHERE user_id = \(inactive)
                """).decode((String, String?, String?, String?, Date?).self) {
                #expect(first == "Anonymised" && email == nil && phone == nil && dob == nil && anonymizedAt != nil)
            }
            #expect(try await database.scalar("SELECT count(*)::int FROM addresses WHERE user_id = \(inactive)") == 0)
            #expect(try await database.scalar("SELECT count(*)::int FROM addresses WHERE user_id = \(withTicket)") == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(withTicket) AND email IS NOT NULL") == 1)
            #expect(try await database.scalar("""
                SELECT count(*)::int FROM outbox WHERE topic = 'customer.profile.anonymized' AND key = \(inactive)
                """) == 1)
            // Nothing is left to do on a second run.
            #expect(try await runner.run(anonymize) == .succeeded(JobOutcome(counts: ["anonymized": 0])))
            // The anonymised customer's cached profile is gone too.
            let token = try await TestEnvironment.token(inactive)
            try await client.execute(uri: "/v1/customers/profile", method: .get, headers: bearer(token)) { (r: TestResponse) async throws in
                #expect((try r.json()["data"] as? [String: Any])?["email"] is NSNull)
            }
        }
    }

    @Test func jobsRunFromTheCommandLine() async throws {
        let schema = TestEnvironment.uniqueSchema("jobs")
        let (status, stderr) = try await runToCompletion(
            TestEnvironment.binDirectory + "/profiles", ["jobs", "run", "rebuild-customer-index", "--dry-run"],
            environment: [
                "DATABASE_URL": TestEnvironment.databaseURL, "DATABASE_SCHEMA": schema, "REDIS_URL": TestEnvironment.redisURL,
                "JWT_SECRET": TestEnvironment.jwtSecret, "LOG_LEVEL": "error",
            ])
        #expect(status == 0, "\(stderr)")
        let runs = try await withDatabase(schema: schema) { database in
            try await database.scalar("SELECT count(*)::int FROM job_runs WHERE job = 'rebuild-customer-index' AND dry_run AND outcome = 'succeeded'")
        }
        #expect(runs == 1)
    }

    @Test func cronSchedules() throws {
        let utc = ISO8601DateFormatter()
        let sundayThree = try CronSchedule("0 3 * * 0")
        #expect(sundayThree.next(after: utc.date(from: "2026-11-25T12:00:00Z")!) == utc.date(from: "2026-11-29T03:00:00Z"))
        let everySix = try CronSchedule("0 */6 * * *")
        #expect(everySix.next(after: utc.date(from: "2026-11-25T12:00:00Z")!) == utc.date(from: "2026-11-25T18:00:00Z"))
        // Seconds past the minute must not skip the next slot.
        #expect(sundayThree.next(after: utc.date(from: "2026-11-29T02:59:30Z")!) == utc.date(from: "2026-11-29T03:00:00Z"))
        let daily = try CronSchedule("0 2 * * *")
        #expect(daily.next(after: utc.date(from: "2026-12-31T02:00:00Z")!) == utc.date(from: "2027-01-01T02:00:00Z"))
        let everyFive = try CronSchedule("*/5 * * * *")
        #expect(everyFive.next(after: utc.date(from: "2026-11-25T12:03:10Z")!) == utc.date(from: "2026-11-25T12:05:00Z"))
        #expect(everyFive.next(after: utc.date(from: "2026-12-31T23:58:00Z")!) == utc.date(from: "2027-01-01T00:00:00Z"))
        // Both day fields restricted: the 1st of a month or a Monday, whichever comes first.
        let firstOrMonday = try CronSchedule("0 12 1 * 1")
        #expect(firstOrMonday.next(after: utc.date(from: "2026-11-25T13:00:00Z")!) == utc.date(from: "2026-11-30T12:00:00Z"))
        #expect(firstOrMonday.next(after: utc.date(from: "2026-11-30T12:00:00Z")!) == utc.date(from: "2026-12-01T12:00:00Z"))
        // A day field that starts with `*` makes both count: an odd day that is a Monday.
        let oddMonday = try CronSchedule("0 0 */2 * 1")
        #expect(oddMonday.next(after: utc.date(from: "2026-11-25T12:00:00Z")!) == utc.date(from: "2026-12-07T00:00:00Z"))
        // Both day fields together may wait decades: 29 February on a Sunday, 2032 then 2060.
        let leapSunday = try CronSchedule("0 0 29 2 */7")
        #expect(leapSunday.next(after: utc.date(from: "2032-03-01T00:00:00Z")!) == utc.date(from: "2060-02-29T00:00:00Z"))
        // 7 is Sunday, as 0 is.
        #expect(try CronSchedule("0 9 * * 7").next(after: utc.date(from: "2026-11-25T12:00:00Z")!) == utc.date(from: "2026-11-29T09:00:00Z"))
        // A leap day two years away is found; a day that never comes is never.
        let leapDay = try CronSchedule("30 6 29 2 *")
        #expect(leapDay.next(after: utc.date(from: "2026-03-01T00:00:00Z")!) == utc.date(from: "2028-02-29T06:30:00Z"))
        #expect(try CronSchedule("0 0 30 2 *").next(after: utc.date(from: "2026-03-01T00:00:00Z")!) == .distantFuture)
        #expect(throws: CronError.self) { try CronSchedule("61 * * * *") }
        #expect(throws: CronError.self) { try CronSchedule("* * *") }
    }
}

@Suite struct SyncCustomerDataTests {
    @Test func replaysSignUpsAndRecreatesMissingProfiles() async throws {
        try await withTestServiceAndBroker(ProfilesService.self) { _, app, brokers in
            let user = TestEnvironment.uniqueUser()
            let publisher = try TestPublisher(brokers: brokers)
            try await publisher.publish(
                Topics.userCreated, UserCreated(userId: user, email: "\(user)@example.com", firstName: "Lost", registeredAt: Date()),
                userId: user, source: "auth")
            await publisher.shutdown()
            let database = app.runtime.database
            var created = false
            for _ in 0..<200 where !created {
                created = try await database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(user)") == 1
                if !created { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(created)
            // The profile is lost (say, restored from an older backup); the job brings it back.
            try await database.query("DELETE FROM profiles WHERE user_id = \(user)")
            let job = try #require(app.jobs.first { $0.name == "sync-customer-data" })
            let dryRun = try await JobRunner(runtime: app.runtime).run(job, dryRun: true)
            guard case .succeeded(let preview) = dryRun else { Issue.record("skipped"); return }
            #expect(preview.counts["wouldCreate"] == 1 && preview.counts["usersSeen"] == 1)
            let result = try await JobRunner(runtime: app.runtime).run(job)
            guard case .succeeded(let outcome) = result else { Issue.record("skipped"); return }
            #expect(outcome.counts["profilesCreated"] == 1 && outcome.counts["usersSeen"] == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(user) AND first_name = 'Lost'") == 1)
        }
    }
}
