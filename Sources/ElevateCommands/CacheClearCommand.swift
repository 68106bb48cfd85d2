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
        let logger = global.logger(environment: processEnvironment())
        let counts = try CacheCommand.report {
            try CacheCommand.backends(logger: logger).map { ($0.name, try $0.remove(profile: profile)) }
        }
        let total = counts.reduce(0) { $0 + $1.1.sessions }
        let leftovers = counts.reduce(0) { $0 + $1.1.leftovers }
        let scope = profile.map { " of profile '\(singleLine($0))'" } ?? ""
        let detail = counts.map { "\($0.0): \($0.1.sessions)" }.joined(separator: ", ")
        let extra = leftovers == 0 ? "" : " and \(leftovers) lock or temporary \(leftovers == 1 ? "file" : "files")"
        Output.write("removed \(total) cached \(total == 1 ? "session" : "sessions")\(scope) (\(detail))\(extra)\n")
    }
}
