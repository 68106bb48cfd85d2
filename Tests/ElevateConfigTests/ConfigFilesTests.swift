import ElevateCore
import Foundation
import Testing

@testable import ElevateConfig

/// A fresh directory for one test, removed afterwards.
private final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "elevate-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
}

@Suite("Locating and reading the files")
struct ConfigFilesTests {
    @Test("the default files are under $HOME/.aws")
    func defaults() {
        let files = ConfigFiles.locate(environment: ["HOME": "/home/me"])
        #expect(files == ConfigFiles(configPath: "/home/me/.aws/config", credentialsPath: "/home/me/.aws/credentials"))
    }

    @Test("AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE override the defaults, with ~ and $VAR expanded")
    func overrides() {
        let files = ConfigFiles.locate(environment: [
            "HOME": "/home/me/", "AWS_CONFIG_FILE": "~/cfg",
            "AWS_SHARED_CREDENTIALS_FILE": "${BASE}/creds", "BASE": "/etc/aws",
        ])
        #expect(files.configPath == "/home/me/cfg")
        #expect(files.credentialsPath == "/etc/aws/creds")
    }

    @Test("an empty AWS_CONFIG_FILE counts as unset")
    func emptyVariable() {
        let files = ConfigFiles.locate(environment: ["HOME": "/h", "AWS_CONFIG_FILE": ""])
        #expect(files.configPath == "/h/.aws/config")
    }

    @Test("variable expansion leaves unknown and malformed references as written, as os.path.expandvars does")
    func expandVariablesEdges() {
        let env = ["A": "x", "A_1": "y"]
        #expect(expandVariables("$A/$A_1/$NOPE/${A}b/${/$", environment: env) == "x/y/$NOPE/xb/${/$")
        #expect(expandVariables("$A-z", environment: env) == "x-z")
    }

    @Test("~ expands only at the start, and a trailing slash of HOME is dropped")
    func expandUserEdges() {
        #expect(expandUser("~", environment: ["HOME": "/home/me/"]) == "/home/me")
        #expect(expandUser("a/~", environment: ["HOME": "/home/me"]) == "a/~")
        #expect(expandUser("~root/x", environment: [:]) == "/root/x")
        #expect(expandUser("~no-such-user-here/x", environment: [:]) == "~no-such-user-here/x")
    }

    @Test("~ and / are found as code points, as Python finds them, whatever follows them")
    func expandUserCodePoints() {
        #expect(Array(expandUser("~/\u{301}x", environment: ["HOME": "/home/me"]).utf8)
            == Array("/home/me/\u{301}x".utf8))
        #expect(Array(expandUser("~\u{301}/x", environment: ["HOME": "/home/me"]).utf8) == Array("~\u{301}/x".utf8))
    }

    @Test("missing files count as empty, and the not-found message says they do not exist")
    func missingFiles() throws {
        let directory = try TemporaryDirectory()
        let files = ConfigFiles(
            configPath: directory.path + "/config", credentialsPath: directory.path + "/credentials")
        let config = try AWSConfig.load(files)
        #expect(config.profiles.isEmpty)
        #expect(!config.configFileExists && !config.credentialsFileExists)
        let error = try #require(throws: ConfigError.self) {
            try ProfileResolver(config: config, registry: PluginRegistry(), environment: [:], isSelf: { _ in false })
                .plan(for: "dev")
        }
        #expect(error.problem.contains("'\(files.configPath)' (does not exist)"))
        #expect(error.problem.contains("'\(files.credentialsPath)' (does not exist)"))
        #expect(error.remedy.contains("[profile dev]"))
    }

    @Test("both files are read from disk and merged")
    func loadsFromDisk() throws {
        let directory = try TemporaryDirectory()
        let files = ConfigFiles(
            configPath: try directory.write("config", "[profile dev]\nregion = us-east-1\n"),
            credentialsPath: try directory.write("credentials", "[dev]\naws_access_key_id = AKIDX\n")
        )
        let config = try AWSConfig.load(files)
        #expect(config.configFileExists && config.credentialsFileExists)
        #expect(config.profiles["dev"]?.values == ["region": "us-east-1", "aws_access_key_id": "AKIDX"])
    }

    @Test("a directory given as the config file is an error naming the path")
    func directoryIsUnreadable() throws {
        let directory = try TemporaryDirectory()
        let files = ConfigFiles(configPath: directory.path, credentialsPath: directory.path + "/none")
        let error = try #require(throws: ConfigError.self) { try AWSConfig.load(files) }
        #expect(error == .unreadable(path: directory.path, reason: "it is a directory"))
        #expect(error.problem.contains("'\(directory.path)'"))
        #expect(error.category == .configuration)
    }

    @Test("a path below a regular file is missing, not an error")
    func notADirectory() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("plain", "")
        let config = try AWSConfig.load(ConfigFiles(configPath: file + "/config", credentialsPath: file + "/creds"))
        #expect(!config.configFileExists)
    }

    @Test("/dev/null as the config file reads as no file, as botocore's isfile check treats it")
    func devNull() throws {
        let config = try AWSConfig.load(ConfigFiles(configPath: "/dev/null", credentialsPath: "/dev/null"))
        #expect(config.profiles.isEmpty)
    }

    @Test("bytes that are not UTF-8 are an error naming the file and line")
    func notUTF8() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", Array("[profile a]\nx = 1\ny = ".utf8) + [0xC3, 0x28] + [0x0A])
        let error = try #require(throws: ConfigError.self) {
            try AWSConfig.load(ConfigFiles(configPath: path, credentialsPath: directory.path + "/none"))
        }
        #expect(error == .notUTF8(FileLocation(path: path, line: 3)))
        #expect(error.problem == "\(path):3: the line is not valid UTF-8")
    }

    @Test("a 10 MB config file is rejected from its size, with a clear error")
    func tooLarge() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("config", "")
        // Sparse: 10 MB that cost no disk, and a read of them would be slow enough to notice.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 10_000_000)
        try handle.close()
        let error = try #require(throws: ConfigError.self) {
            try AWSConfig.load(ConfigFiles(configPath: path, credentialsPath: directory.path + "/none"))
        }
        #expect(error == .tooLarge(path: path, size: 10_000_000))
        #expect(error.problem.contains("'\(path)'"))
        #expect(error.problem.contains("4194304"))
    }

    @Test("a file of exactly 4 MiB is still read")
    func atLimit() throws {
        let directory = try TemporaryDirectory()
        var bytes = Array("[profile a]\nx = 1\n".utf8)
        bytes += [UInt8](repeating: 0x0A, count: AWSConfig.maximumFileSize - bytes.count)
        let path = try directory.write("config", bytes)
        let config = try AWSConfig.load(ConfigFiles(configPath: path, credentialsPath: directory.path + "/none"))
        #expect(config.profiles["a"]?["x"] == "1")
    }

    @Test("a syntax error in a file on disk names its path and line")
    func syntaxErrorOnDisk() throws {
        let directory = try TemporaryDirectory()
        let credentials = try directory.write("credentials", "[a]\nx = 1\n[a]\n")
        let error = try #require(throws: ConfigError.self) {
            try AWSConfig.load(ConfigFiles(configPath: directory.path + "/none", credentialsPath: credentials))
        }
        #expect(error == .duplicateSection(FileLocation(path: credentials, line: 3), section: "a"))
        #expect(error.problem == "\(credentials):3: section [a] appears a second time")
    }
}

@Suite("Python string rules")
struct PythonTextTests {
    @Test(
        "shell words split as shlex.split does",
        arguments: [
            ("aws-elevate credential-process --profile x", ["aws-elevate", "credential-process", "--profile", "x"]),
            ("\"/opt/my tools/aws-elevate\" run", ["/opt/my tools/aws-elevate", "run"]),
            ("'a b'c d", ["a bc", "d"]),
            ("a\\ b", ["a b"]),
            ("\"a\\\"b\\x\"", ["a\"b\\x"]),
            ("''", [""]),
            ("a '' b", ["a", "", "b"]),
            ("", []),
            ("   ", []),
            ("a\tb\nc", ["a", "b", "c"]),
            ("\"it's\"", ["it's"]),
            ("x#y", ["x#y"]),
        ] as [(String, [String])]
    )
    func shlex(input: String, words: [String]) {
        #expect(shellWords(input) == words)
    }

    @Test("an unclosed quote or trailing backslash is not a command line", arguments: ["'unclosed", "trail\\", "\"a"])
    func shlexErrors(input: String) {
        #expect(shellWords(input) == nil)
    }

    @Test("lower-casing follows Python, final sigma included")
    func lower() {
        #expect(PythonText.lower("ΟΔΟΣ") == "οδος")
        #expect(PythonText.lower("ΣΑ") == "σα")
        #expect(PythonText.lower("AWS_Region") == "aws_region")
    }

    @Test("canonically equivalent spellings are different sections and keys, as Python's str keys are")
    func exactKeys() throws {
        // "é" precomposed (U+00E9) and decomposed ("e" + U+0301): one key to Swift's ==, two to configparser.
        let document = try INIParser.parse(
            Array("[s\u{E9}]\nk\u{E9} = 1\nke\u{301} = 2\n[se\u{301}]\nx = 3\n".utf8), path: "config")
        #expect(document.sections.map { Array($0.name.unicodeScalars) } == [
            Array("s\u{E9}".unicodeScalars), Array("se\u{301}".unicodeScalars),
        ])
        #expect(document.sections[0].entries.map { Array($0.key.unicodeScalars) } == [
            Array("k\u{E9}".unicodeScalars), Array("ke\u{301}".unicodeScalars),
        ])
        #expect(PythonText.exactKey("abc") == "abc")
        #expect(PythonText.exactKey("\u{E9}") != PythonText.exactKey("e\u{301}"))
        #expect(throws: ConfigError.self) {
            try INIParser.parse(Array("[s]\nk\u{E9} = 1\nK\u{C9} = 2\n".utf8), path: "config")
        }
    }

    @Test("splitlines knows Python's extra line boundaries")
    func splitLines() {
        #expect(PythonText.splitLines("a\u{1C}b\u{85}c\r\nd\re") == ["a", "b", "c", "d", "e"])
        #expect(PythonText.splitLines("a\n\n") == ["a", ""])
        #expect(PythonText.splitLines("") == [])
    }
}
