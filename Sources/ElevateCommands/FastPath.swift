#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Dispatch

/// The entry point: `credential-process` in the exact forms SDKs use skips swift-argument-parser.
///
/// SDKs run `credential-process --profile NAME` before every command. Parsing it with swift-argument-parser costs
/// about 2 ms of start-up (the measured figure is in docs/benchmarks.md), the whole budget of the hot path.
/// Any other argument list, including every mistake, goes to the full parser, so help and usage errors stay
/// in one place.
public enum Entry {
    /// Runs ``main(_:)`` and exits. The task starts on this (the main) thread and runs there until it first
    /// suspends; a cache hit or static keys never do, so they finish without the concurrency runtime starting its
    /// thread pool (about 0.5 ms of start-up: three threads and dispatch's event loop). A run that does suspend
    /// (a network retry's back-off) continues once `dispatchMain` serves the main queue.
    @MainActor
    public static func start() -> Never {
        Task.immediate {
            await main()
            exit(0)
        }
        dispatchMain()
    }

    public static func main(_ arguments: [String] = CommandLine.arguments) async {
        guard let request = FastPath.parse(Array(arguments.dropFirst())) else {
            await AWSElevate.main()
            return
        }
        do {
            try await CredentialProcessCommand.execute(profile: request.profile, debug: request.debug)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            exit(1)
        }
    }
}

enum FastPath {
    struct Request: Equatable {
        var profile: String
        var debug: Bool
    }

    /// The request when `arguments` are `credential-process` with one non-empty `--profile` and at most a
    /// `--debug`; `nil` for anything else.
    static func parse(_ arguments: [String]) -> Request? {
        guard arguments.first == "credential-process" else { return nil }
        var profile: String?
        var debug = false
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--debug" where !debug:
                debug = true
            case "--profile" where profile == nil:
                guard let value = rest.popFirst(), !value.isEmpty, value.utf8.first != UInt8(ascii: "-") else {
                    return nil
                }
                profile = value
            case _ where argument.utf8.starts(with: "--profile=".utf8) && profile == nil:
                // Bytes, not Characters: `=` followed by a combining mark is one Character.
                let value = String(decoding: argument.utf8.dropFirst("--profile=".utf8.count), as: UTF8.self)
                guard !value.isEmpty else { return nil }
                profile = value
            default:
                return nil
            }
        }
        return profile.map { Request(profile: $0, debug: debug) }
    }
}
