#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import ElevateCache
import ElevateCore
import Logging

/// `aws-elevate cache`: the session cache's maintenance commands.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "List or clear cached sessions.",
        discussion: """
            Sessions are cached in the Secret Service keyring or in encrypted files under \
            $XDG_CACHE_HOME/aws-elevate (AWS_ELEVATE_CACHE=auto|keyring|file|none; see docs/cache.md).
            """,
        subcommands: [CacheListCommand.self, CacheClearCommand.self]
    )

    /// The backends the maintenance commands work on (those of the mode that can serve now), with a debug line for
    /// each one left out.
    static func backends(logger: Logger) throws -> [any CacheBackend] {
        let environment = processEnvironment()
        let settings = try CacheSettings(environment: environment, profile: nil)
        let (choice, leftOut) = CacheBackendChoice.choose(
            settings: settings, for: .maintenance, keyring: { SecretServiceKeyring() })
        let (backends, unavailable) = choice.available()
        for failure in leftOut + unavailable { logger.debug("cache: not included: \(failure.backend): \(failure)") }
        return backends
    }

    /// Runs `body`; a failure becomes one stderr line `aws-elevate: cache: problem — remedy` and its exit code.
    static func report<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as any ElevateFailure {
            writeStderrLine(singleLine("aws-elevate: cache: \(failure.problem) — \(failure.remedy)"))
            throw ExitCode(failure.category.exitCode)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            writeStderrLine("aws-elevate: cache: unexpected \(type(of: error)) — rerun with --debug and report it")
            throw ExitCode(1)
        }
    }
}
