import ArgumentParser
import ElevateCore

/// Turns any failure of a command into one stderr line and an exit code.
///
/// `aws-elevate: profile 'NAME': what went wrong — what to do`, nothing on stdout.
enum FailureReport {
    static func run<T>(profile: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as any ElevateFailure {
            writeStderrLine(line(profile: profile, failure: failure))
            throw ExitCode(failure.category.exitCode)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // Not one of ours: report its type only, since an unknown error's text might carry anything.
            writeStderrLine("aws-elevate: profile '\(singleLine(profile))': unexpected \(type(of: error)) — rerun with --debug and report it")
            throw ExitCode(1)
        }
    }

    static func line(profile: String, failure: any ElevateFailure) -> String {
        singleLine("aws-elevate: profile '\(profile)': \(failure.problem) — \(failure.remedy)")
    }
}
