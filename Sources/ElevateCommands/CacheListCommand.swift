#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateCache
import ElevateCore

/// `aws-elevate cache list`: one line per cached session, never a secret.
struct CacheListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List cached sessions: profile, role, time left and backend (never a secret)."
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let logger = global.logger(environment: processEnvironment())
        let listings = try CacheCommand.report {
            try CacheCommand.backends(logger: logger).flatMap { try $0.list() }
        }
        Output.write(Self.render(listings, now: Date()))
    }

    /// A table with a header; unreadable entries (another key, damaged) show their file name, and entries of another
    /// cache format version are marked stale, with a line that says what that means.
    static func render(_ listings: [CacheListing], now: Date) -> String {
        guard !listings.isEmpty else { return "no cached sessions\n" }
        var rows = [["PROFILE", "ROLE", "EXPIRES IN", "BACKEND"]]
        for listing in listings {
            let unnamed = listing.staleVersion == nil ? "unreadable" : "stale"
            rows.append([
                listing.profile.map(singleLine) ?? "(\(unnamed): \(singleLine(listing.location)))",
                listing.role.map { $0.isEmpty ? "-" : singleLine($0) } ?? "-",
                listing.staleVersion.map(staleText)
                    ?? listing.expiration.map { formatRemaining($0.timeIntervalSince(now)) } ?? "-",
                listing.backend,
            ])
        }
        let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let footer = listings.contains { $0.staleVersion != nil } ? Self.staleNote : ""
        return rows.map { row in
            row.enumerated().map { column, text in
                column == row.count - 1 ? text : text + String(repeating: " ", count: widths[column] - text.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n" + footer
    }

    /// The line under a table that lists stale entries.
    static let staleNote =
        "stale: entries of another cache format version, never used again; 'aws-elevate cache clear' removes them\n"

    /// `stale (v0)`; just `stale` when the version found is not a number (a keyring item made by someone else).
    private static func staleText(_ version: String) -> String {
        let isNumber = (1...9).contains(version.utf8.count) && version.utf8.allSatisfy { (0x30...0x39).contains($0) }
        return isNumber ? "stale (v\(version))" : "stale"
    }
}
