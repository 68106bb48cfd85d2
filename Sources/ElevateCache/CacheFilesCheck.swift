#if canImport(Glibc)
    import Glibc
#endif
import ElevateCore

/// One finding about the file backend's files, for `aws-elevate doctor`: read with the checks a run makes
/// (owner, mode 0700 directories and 0600 files, regular files only), creating nothing.
public struct CacheFileCheck: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// As a run needs it; the words say what was found.
        case ok(String)
        /// A run would stop or could not use it.
        case failed(problem: String, remedy: String)
    }

    /// `cache directory`, `cache key file`.
    public var what: String
    public var path: String
    public var outcome: Outcome
}

extension CacheSettings {
    /// The file backend's directory (with the entries in it) and key file, checked as a run checks them; `[]` when
    /// no home directory is known.
    public func checkFiles() -> [CacheFileCheck] {
        guard let directory, let keyPath else { return [] }
        return [Self.checkDirectory(directory), Self.checkKeyFile(keyPath)]
    }

    private static func failed(_ failure: CacheError) -> CacheFileCheck.Outcome {
        .failed(problem: failure.problem, remedy: failure.remedy)
    }

    private static func checkDirectory(_ path: String) -> CacheFileCheck {
        var check = CacheFileCheck(what: "cache directory", path: path, outcome: .ok("private (0700), yours"))
        do throws(CacheError) {
            switch try PrivateDirectory.open(path, create: false) {
            case .missing:
                check.outcome = .ok("not made yet (the first cached session makes it, mode 0700)")
            case .unusable(let failure):
                check.outcome = .failed(
                    problem: "the cache directory \(quoted(path)) cannot be opened: \(failure)",
                    remedy: "make it a directory you own (mkdir -m 700 \(shellQuoted(path))) or remove what is there")
            case .opened(let folder):
                var entries = 0
                for name in ((try? folder.names()) ?? []).sorted() where FileBackend.kind(of: name) != nil {
                    if case .failed(let failure) = try folder.read(name, limit: FileBackend.sizeLimit) {
                        check.outcome = .failed(
                            problem: "\(quoted(folder.child(name))) cannot be read: \(failure)",
                            remedy: "remove it: rm \(shellQuoted(folder.child(name)))")
                        return check
                    }
                    entries += 1
                }
                check.outcome = .ok("private (0700), yours; \(entries) file\(entries == 1 ? "" : "s") private (0600)")
            }
        } catch {
            check.outcome = failed(error)
        }
        return check
    }

    private static func checkKeyFile(_ path: String) -> CacheFileCheck {
        var check = CacheFileCheck(what: "cache key file", path: path, outcome: .ok("private (0600), yours"))
        do throws(CacheError) {
            switch try KeyFile.load(path) {
            case .key:
                break
            case .missing:
                check.outcome = .ok("not made yet (the first cached session makes it, mode 0600)")
            case .unusable(let failure):
                check.outcome = .failed(
                    problem: "the cache key file \(quoted(path)) cannot be read: \(failure)",
                    remedy: "remove it (rm \(shellQuoted(path))): aws-elevate makes a new key")
            }
        } catch {
            check.outcome = failed(error)
        }
        return check
    }
}
