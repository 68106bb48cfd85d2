#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ElevateCache
import Testing

@testable import ElevateCommands

/// What `cache list` and `cache clear` print about entries of another cache format version.
@Suite("cache list and clear output")
struct CacheCommandsTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    @Test("stale entries are marked in the table, with one line that says what that means; current ones are as before")
    func listMarksStale() {
        let current = CacheListing(
            profile: "app", role: "arn:aws:iam::123456789012:role/app", expiration: now.addingTimeInterval(3600),
            backend: "file", location: "v1-a.session")
        #expect(CacheListCommand.render([current], now: now) == """
            PROFILE  ROLE                                EXPIRES IN  BACKEND
            app      arn:aws:iam::123456789012:role/app  1h00m       file

            """)
        let staleFile = CacheListing(
            profile: nil, role: nil, expiration: nil, backend: "file", location: "v0-b.session", staleVersion: "0")
        let staleItem = CacheListing(
            profile: "old", role: "", expiration: now.addingTimeInterval(60), backend: "keyring", location: "k",
            staleVersion: "x\n")
        #expect(CacheListCommand.render([current, staleFile, staleItem], now: now) == """
            PROFILE                ROLE                                EXPIRES IN  BACKEND
            app                    arn:aws:iam::123456789012:role/app  1h00m       file
            (stale: v0-b.session)  -                                   stale (v0)  file
            old                    -                                   stale       keyring
            stale: entries of another cache format version, never used again; 'aws-elevate cache clear' removes them

            """)
    }

    @Test("clear counts stale entries apart from sessions, and says nothing of them when there are none")
    func clearSummary() {
        #expect(CacheClearCommand.summary([("file", CacheRemoval(sessions: 2, leftovers: 2))], profile: nil)
                == "removed 2 cached sessions (file: 2) and 2 lock or temporary files\n")
        #expect(
            CacheClearCommand.summary(
                [("file", CacheRemoval(sessions: 1, leftovers: 1, stale: 2)), ("keyring", CacheRemoval(stale: 1))],
                profile: nil)
                == "removed 1 cached session (file: 1, keyring: 0), 3 stale entries of another cache format version "
                + "and 1 lock or temporary file\n")
        #expect(
            CacheClearCommand.summary([("keyring", CacheRemoval(sessions: 1, stale: 1))], profile: "app")
                == "removed 1 cached session of profile 'app' (keyring: 1) and 1 stale entry of another cache format "
                + "version\n")
        #expect(
            CacheClearCommand.summary([("file", CacheRemoval(sessions: 1, leftovers: 2, stale: 1))], indexes: 1, profile: nil)
                == "removed 1 cached session (file: 1), 1 stale entry of another cache format version, "
                + "2 lock or temporary files and 1 stored config index\n")
        #expect(CacheClearCommand.summary([("file", CacheRemoval())], indexes: 2, profile: nil)
                == "removed 0 cached sessions (file: 0) and 2 stored config indexes\n")
    }
}
