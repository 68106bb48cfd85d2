import ElevateCore
import Foundation
import Testing

@Suite("shell quoting")
struct ShellQuotingTests {
    @Test("quoting closes and reopens around single quotes")
    func quoting() {
        #expect(shellQuote("plain") == "'plain'")
        #expect(shellQuote("it's") == "'it'\\''s'")
        #expect(shellQuote("") == "''")
        #expect(shellQuote("$HOME `id` \"x\"\n") == "'$HOME `id` \"x\"\n'")
    }

    /// `'` followed by a combining mark is one `Character` that is not equal to `'`: a quote left raw closes the
    /// string and runs the rest (the `elevate` code injection of the credential_process source).
    @Test(
        "regression: a quote followed by a combining mark, ZWJ or variation selector is escaped",
        arguments: ["\u{301}", "\u{200D}", "\u{FE0F}", "\u{20DD}", "\u{1F3FB}"])
    func quoteBeforeCombiningMark(mark: String) throws {
        let value = "x'\(mark); touch /tmp/pwned; #"
        let quoted = try #require(shellQuote(value))
        #expect(Array(quoted.utf8) == Array("'x'\\''\(mark); touch /tmp/pwned; #'".utf8))
        #expect(try bashEcho(quoted) == Array(value.utf8))
    }

    @Test("a NUL byte is refused")
    func nul() {
        #expect(shellQuote("a\u{0}b") == nil)
        #expect(shellQuote("\u{0}") == nil)
    }

    @Test("real bash gives every generated value back byte for byte")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["'", "\\", "\"", "$(id)", "`id`", "\n", "\r", "\u{2028}", "\u{1B}[31m", "\u{301}", "\u{200D}",
                      "\u{FE0F}", "é", "🚀", " ", "!", "%s", "$HOME", "'\u{301}", "''", "\t", "#", ";", "*"]
        let values = (0..<200).map { _ in
            (0..<Int.random(in: 0...12, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                .joined()
        }
        let script = values.map { "printf '%s\\0' \(shellQuote($0)!)" }.joined(separator: "\n")
        let output = try runBash(script)
        let echoed = output.split(separator: 0, omittingEmptySubsequences: false).dropLast().map(Array.init)
        #expect(echoed == values.map { Array($0.utf8) })
    }

    private func bashEcho(_ quoted: String) throws -> [UInt8] {
        let output = try runBash("printf '%s' \(quoted)")
        return output
    }

    private func runBash(_ script: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["--norc", "--noprofile", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}
