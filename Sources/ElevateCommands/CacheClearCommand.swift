#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateCache
import ElevateCore

/// `aws-elevate cache clear [--profile NAME]`: removes cached sessions, so the next request fetches anew.
struct CacheClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Remove cached sessions (all, or those of one profile); the encryption key stays."
    )

    @Option(name: .long, help: "Remove only the sessions of this profile.")
    var profile: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if profile?.isEmpty == true { throw ValidationError("--profile must not be empty") }
    }

    func run() throws {
        let environment = processEnvironment()
        let logger = global.logger(environment: environment)
        let (counts, indexes) = try CacheCommand.report {
            let counts = try CacheCommand.backends(logger: logger).map { ($0.name, try $0.remove(profile: profile)) }
            // The stored config indexes are in the cache directory whatever the mode; they belong to no profile.
            guard profile == nil, let directory = try CacheSettings(environment: environment, profile: nil).directory
            else { return (counts, 0) }
            return (counts, try ConfigIndexFiles(directory: directory).removeAll())
        }
        Output.write(Self.summary(counts, indexes: indexes, profile: profile))
    }

    /// `removed 2 cached sessions (file: 2) and 2 lock or temporary files`, from what each backend removed and the
    /// number of stored config indexes removed; more kinds of file are listed as `…, A, B and C`.
    static func summary(
        _ counts: [(backend: String, removal: CacheRemoval)], indexes: Int = 0, profile: String?
    ) -> String {
        let total = counts.reduce(0) { $0 + $1.removal.sessions }
        let stale = counts.reduce(0) { $0 + $1.removal.stale }
        let leftovers = counts.reduce(0) { $0 + $1.removal.leftovers }
        let scope = profile.map { " of profile '\(singleLine($0))'" } ?? ""
        let detail = counts.map { "\($0.backend): \($0.removal.sessions)" }.joined(separator: ", ")
        var extras: [String] = []
        if stale > 0 {
            extras.append("\(stale) stale \(stale == 1 ? "entry" : "entries") of another cache format version")
        }
        if leftovers > 0 { extras.append("\(leftovers) lock or temporary \(leftovers == 1 ? "file" : "files")") }
        if indexes > 0 { extras.append("\(indexes) stored config \(indexes == 1 ? "index" : "indexes")") }
        let extra =
            switch extras.count {
            case 0: ""
            case 1: " and " + extras[0]
            default: ", " + extras.dropLast().joined(separator: ", ") + " and " + extras[extras.count - 1]
            }
        return "removed \(total) cached \(total == 1 ? "session" : "sessions")\(scope) (\(detail))\(extra)\n"
    }
}
