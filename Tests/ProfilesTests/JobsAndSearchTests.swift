import Contracts
import Foundation
import Hummingbird
import PostgresNIO
import ServiceKit
import TestSupport
import Testing

@testable import profiles

@Suite(.needsTestServers) struct JobsAndSearchTests {
    func post(_ api: API, _ user: String, _ path: String, _ body: JSONValue) async throws {
        let status = try await api.post(path, as: user, body: body).status
        #expect(status == .created, "\(path)")
    }

    func job(_ name: String, _ app: ServiceApp) throws -> Job {
        try #require(app.jobs.first { $0.name == name })
    }

    /// Ada (phone, SW1A 1AA) signs up before Bob (no phone, M1 1AE); the index is then rebuilt.
    func adaAndBob(_ api: API, _ app: ServiceApp) async throws -> (ada: String, bob: String, rebuilt: JobRunner.RunResult) {
        let ada = TestEnvironment.uniqueUser()
        let bob = TestEnvironment.uniqueUser()
        try await post(
            api, ada, "/profile",
            [
                "firstName": "Ada", "lastName": "Lovelace", "email": "ada@analytical.example", "phone": "+44 20 7946 0958",
            ])
        try await post(api, ada, "/addresses", ["line1": "1 Street", "city": "London", "postcode": "sw1a1aa"])
        try await post(api, bob, "/profile", ["firstName": "Bob", "lastName": "Babbage", "email": "bob@engine.example"])
        try await post(api, bob, "/addresses", ["line1": "2 Road", "city": "Manchester", "postcode": "M1 1AE"])
        let rebuilt = try await JobRunner(runtime: app.runtime).run(try job("rebuild-customer-index", app))
        return (ada, bob, rebuilt)
    }

    /// The user ids an admin's search for `q` finds, in the order listed.
    func search(_ api: API, _ q: String) async throws -> [String] {
        let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
        let answer = try await api.get("/admin/customers?q=\(encoded)", as: "admin-1", role: .admin)
        #expect(answer.status == .ok)
        return try answer.data([CustomerIndex.Entry].self).map(\.userId)
    }

    @Test func theRebuildIndexesEveryProfileAndRecordsItsRun() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (_, _, rebuilt) = try await adaAndBob(api, app)
            #expect(rebuilt == .succeeded(JobOutcome(counts: ["indexed": 2])))
            #expect(
                try await app.runtime.database.scalar(
                    "SELECT count(*)::int FROM job_runs WHERE job = 'rebuild-customer-index' AND outcome = 'succeeded'") == 1)
        }
    }

    @Test func searchFindsPartOfANameOrEmailWhateverItsCase() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (ada, bob, _) = try await adaAndBob(api, app)
            #expect(try await search(api, "lovel") == [ada])
            #expect(try await search(api, "ENGINE.example") == [bob])
        }
    }

    @Test func searchFindsAPhoneNumberWithOrWithoutItsPunctuationAndPrefix() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (ada, _, _) = try await adaAndBob(api, app)
            #expect(try await search(api, "020 7946") == [ada])
            #expect(try await search(api, "7946 0958") == [ada])
        }
    }

    @Test func searchFindsThePrimaryPostcodeWithOrWithoutItsSpace() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (ada, bob, _) = try await adaAndBob(api, app)
            #expect(try await search(api, "SW1A 1") == [ada])
            #expect(try await search(api, "sw1a1") == [ada])
            #expect(try await search(api, "m1 1ae") == [bob])
        }
    }

    @Test func searchListsEveryMatchNewestFirstAndNothingWhenNoneMatches() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (ada, bob, _) = try await adaAndBob(api, app)
            #expect(try await search(api, "zzz").isEmpty)
            #expect(Set(try await search(api, "a")) == [ada, bob])
            #expect(try await search(api, ".example") == [bob, ada])  // newest first
        }
    }

    @Test func onlyAdminsMaySearchCustomers() async throws {
        try await withTestService(ProfilesService.self) { (api, _) async throws in
            #expect(try await api.get("/admin/customers?q=ada", as: TestEnvironment.uniqueUser()).status == .forbidden)
            #expect(try await api.get("/admin/customers?q=ada", as: nil).status == .unauthorized)
        }
    }

    /// Three customers with a profile and an address: two inactive for 800 days, one of those
    /// with a support ticket still open; the third active.
    func agedCustomers(_ api: API, _ app: ServiceApp) async throws -> (inactive: String, withTicket: String) {
        let database = app.runtime.database
        let inactive = TestEnvironment.uniqueUser()
        let withTicket = TestEnvironment.uniqueUser()
        let active = TestEnvironment.uniqueUser()
        for user in [inactive, withTicket, active] {
            try await post(
                api, user, "/profile",
                [
                    "firstName": "Old", "lastName": "Timer", "email": "\(user)@example.com", "phone": "01234 567890", "dateOfBirth": "1950-05-05",
                ])
            try await post(api, user, "/addresses", ["line1": "1 Lane", "city": "York", "postcode": "YO1 7HH"])
        }
        try await database.query(
            """
            UPDATE profiles SET updated_at = now() - interval '800 days' WHERE user_id IN (\(inactive), \(withTicket))
            """)
        try await database.query(
            """
            UPDATE addresses SET updated_at = now() - interval '800 days' WHERE user_id IN (\(inactive), \(withTicket))
            """)
        try await database.query(
            """
            INSERT INTO support_tickets (ticket_id, user_id, ticket_ref, subject, status, priority, updated_at, event_at)
            VALUES (\(UUID()), \(withTicket), 'TKT-OPEN0001', 'Still waiting', 'OPEN', 'LOW', now() - interval '800 days', now())
            """)
        return (inactive, withTicket)
    }

    @Test func aDryRunNamesTheInactiveCustomerAndChangesNothing() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (inactive, _) = try await agedCustomers(api, app)
            let dryRun = try await JobRunner(runtime: app.runtime).run(try job("anonymize-inactive-users", app), dryRun: true)
            #expect(dryRun == .succeeded(JobOutcome(counts: ["wouldAnonymize": 1], details: [inactive])))
            #expect(try await app.runtime.database.scalar("SELECT count(*)::int FROM profiles WHERE anonymized_at IS NOT NULL") == 0)
        }
    }

    @Test func anInactiveCustomerIsScrubbedAndAnnounced() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let database = app.runtime.database
            let (inactive, _) = try await agedCustomers(api, app)
            let result = try await JobRunner(runtime: app.runtime).run(try job("anonymize-inactive-users", app))
            #expect(result == .succeeded(JobOutcome(counts: ["anonymized": 1])))
            for try await (first, email, phone, dob, anonymizedAt) in try await database.query(
                """
                SELECT first_name, email, phone, date_of_birth::text, anonymized_at FROM profiles WHERE user_id = \(inactive)
                """
            ).decode((String, String?, String?, String?, Date?).self) {
                #expect(first == "Anonymised" && email == nil && phone == nil && dob == nil && anonymizedAt != nil)
            }
            #expect(try await database.scalar("SELECT count(*)::int FROM addresses WHERE user_id = \(inactive)") == 0)
            #expect(
                try await database.scalar(
                    """
                    SELECT count(*)::int FROM outbox WHERE topic = 'customer.profile.anonymized' AND key = \(inactive)
                    """) == 1)
        }
    }

    @Test func aCustomerWithAnOpenTicketIsLeftAlone() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let database = app.runtime.database
            let (_, withTicket) = try await agedCustomers(api, app)
            _ = try await JobRunner(runtime: app.runtime).run(try job("anonymize-inactive-users", app))
            #expect(try await database.scalar("SELECT count(*)::int FROM addresses WHERE user_id = \(withTicket)") == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(withTicket) AND email IS NOT NULL") == 1)
        }
    }

    /// Nothing is left to do on a second run.
    @Test func aSecondRunHasNothingLeftToDo() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            _ = try await agedCustomers(api, app)
            let anonymize = try job("anonymize-inactive-users", app)
            let runner = JobRunner(runtime: app.runtime)
            #expect(try await runner.run(anonymize) == .succeeded(JobOutcome(counts: ["anonymized": 1])))
            #expect(try await runner.run(anonymize) == .succeeded(JobOutcome(counts: ["anonymized": 0])))
        }
    }

    /// The anonymised customer's cached profile is gone too.
    @Test func theAnonymisedProfileIsServedWithoutItsPersonalData() async throws {
        try await withTestService(ProfilesService.self) { api, app in
            let (inactive, _) = try await agedCustomers(api, app)
            _ = try await JobRunner(runtime: app.runtime).run(try job("anonymize-inactive-users", app))
            #expect(try await api.get("/profile", as: inactive).data(Profile.self).email == nil)
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
}

@Suite(.needsTestServers) struct SyncCustomerDataTests {
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
            guard case .succeeded(let preview) = dryRun else {
                Issue.record("skipped")
                return
            }
            #expect(preview.counts["wouldCreate"] == 1 && preview.counts["usersSeen"] == 1)
            let result = try await JobRunner(runtime: app.runtime).run(job)
            guard case .succeeded(let outcome) = result else {
                Issue.record("skipped")
                return
            }
            #expect(outcome.counts["profilesCreated"] == 1 && outcome.counts["usersSeen"] == 1)
            #expect(try await database.scalar("SELECT count(*)::int FROM profiles WHERE user_id = \(user) AND first_name = 'Lost'") == 1)
        }
    }
}
