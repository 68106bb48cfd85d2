#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Dispatch
import ElevateCore

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

    /// Runs the command `arguments` (`argv[0]` first) name; by default the arguments the process entry received.
    /// Without arguments (not even `argv[0]`) nothing was asked for that could be known: one line on stderr and
    /// exit 64, never the help text with exit 0.
    public static func main(_ given: [String]? = nil) async {
        let arguments = given ?? ProcessArguments.strings
        guard !arguments.isEmpty else {
            writeAll(
                fd: 2,
                Array(
                    "aws-elevate: the command line arguments cannot be read — run it with a C library that passes them to the program (glibc)\n"
                        .utf8))
            exit(64)
        }
        guard let request = FastPath.parse(Array(arguments.dropFirst())) else {
            await runParsed(Array(arguments.dropFirst()))
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

    /// `AWSElevate.main(arguments)` without its hop to the global executor: parsing is synchronous and the async
    /// commands run on this thread (``RunsOnCallerThread``), so a run that never suspends never starts the thread
    /// pool. Where /proc is not mounted that pool cannot run: libdispatch's pool monitor reads /proc/TID/stat
    /// and crashes when it cannot open it.
    static func runParsed(_ arguments: [String]) async {
        do {
            var command = try AWSElevate.parseAsRoot(arguments)
            if var here = command as? any RunsOnCallerThread {
                try await here.run()
            } else if command is any AsyncParsableCommand {
                await AWSElevate.main(arguments)
            } else {
                try command.run()
            }
        } catch {
            AWSElevate.exit(withError: error)
        }
    }
}

/// The async commands, called through a protocol of this module so that `run()` keeps the caller's executor
/// (swift-argument-parser's `AsyncParsableCommand.run()` is `@concurrent` for callers in this module).
protocol RunsOnCallerThread {
    mutating func run() async throws
}

extension AWSElevate: RunsOnCallerThread {}
extension CredentialProcessCommand: RunsOnCallerThread {}
extension EnvCommand: RunsOnCallerThread {}
extension ExecCommand: RunsOnCallerThread {}
extension ExplainCommand: RunsOnCallerThread {}
extension SetupCommand: RunsOnCallerThread {}
extension WhoamiCommand: RunsOnCallerThread {}

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
