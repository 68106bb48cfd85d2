import ElevateCrypto
import Foundation
import TestSupport
import Testing

/// Whether libcrypto is mapped can only be observed in a process where nothing has used cryptography yet, and the
/// missing-library scenario must not leak into parallel tests: both run in a child copy of this test binary.
@Suite("Lazy loading of libcrypto, in a child process")
struct LazyLoadingTests {
    @Test("libcrypto is mapped only once the first cryptographic call runs")
    func loadedOnFirstUse() throws {
        let child = try ChildProcess.run(scenario: "lazy", filter: "ElevateCryptoTests.ChildScenarios")
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            "libcrypto at start: false",
            "libcrypto after an error and a hex string: false",
            "sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "libcrypto after sha256: true",
        ], "\(child.output)")
    }

    @Test("a libcrypto that cannot be loaded is a CryptoError from every entry point, never a crash")
    func missingLibrary() throws {
        let child = try ChildProcess.run(
            scenario: "missing", filter: "ElevateCryptoTests.ChildScenarios",
            environment: ["AWS_ELEVATE_TEST_LIBCRYPTO": "libcrypto-that-does-not-exist.so.3"]
        )
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            "sha256: libraryUnavailable",
            "hmacSHA256: libraryUnavailable",
            "randomBytes: libraryUnavailable",
            "seal: libraryUnavailable",
            "open: libraryUnavailable",
            "mapped: false",
        ], "\(child.output)")
    }
}

/// Runs only inside the child started by `LazyLoadingTests`.
@Suite("Child scenarios", .enabled(if: ChildProcess.scenario != nil))
struct ChildScenarios {
    @Test("the scenario named by ELEVATE_CHILD_SCENARIO")
    func scenario() throws {
        var report: [String] = []
        func outcome(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "succeeded"
            } catch CryptoError.libraryUnavailable(let detail) {
                return detail.contains("libcrypto-that-does-not-exist") ? "libraryUnavailable" : "detail: \(detail)"
            } catch {
                return "unexpected \(error)"
            }
        }
        switch ChildProcess.scenario {
        case "lazy":
            report.append("libcrypto at start: \(isCryptoLibraryLoaded)")
            _ = "\(CryptoError.authenticationFailed) \(lowercaseHex([1, 2, 3]))"
            report.append("libcrypto after an error and a hex string: \(isCryptoLibraryLoaded)")
            report.append("sha256: \(lowercaseHex(try sha256(Array("abc".utf8))))")
            report.append("libcrypto after sha256: \(isCryptoLibraryLoaded)")
        case "missing":
            let key = [UInt8](repeating: 7, count: AES256GCM.keyByteCount)
            let nonce = [UInt8](repeating: 1, count: AES256GCM.nonceByteCount)
            report.append("sha256: " + outcome { _ = try sha256([1]) })
            report.append("hmacSHA256: " + outcome { _ = try hmacSHA256(key: [1], message: [2]) })
            report.append("randomBytes: " + outcome { _ = try randomBytes(count: 4) })
            report.append("seal: " + outcome { _ = try AES256GCM.seal([1], key: key, nonce: nonce) })
            report.append("open: " + outcome {
                let box = try AES256GCM.SealedBox(
                    nonce: nonce, ciphertext: [1], tag: [UInt8](repeating: 0, count: AES256GCM.tagByteCount))
                _ = try AES256GCM.open(box, key: key)
            })
            report.append("mapped: \(isCryptoLibraryLoaded)")
        default:
            report.append("unknown scenario")
        }
        try ChildProcess.writeReport(report)
    }
}
