import ElevateCore
import Foundation
import Testing

@testable import ElevateConfig

/// One case of Fixtures/ini-cases.json. Tests/e2e/test_config_oracle.py checks every case against the real botocore.
struct INICase: Decodable, Sendable, CustomTestStringConvertible {
    /// A file given as one string, or as lines joined with newlines.
    enum FileText: Decodable, Sendable {
        case text(String)
        case lines([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let lines = try? container.decode([String].self) {
                self = .lines(lines)
            } else {
                self = .text(try container.decode(String.self))
            }
        }

        var content: String {
            switch self {
            case .text(let text): text
            case .lines(let lines): lines.joined(separator: "\n") + "\n"
            }
        }
    }

    enum Value: Decodable, Sendable, Equatable {
        case plain(String)
        case nested([String: String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .plain(text)
            } else {
                self = .nested(try container.decode([String: String].self))
            }
        }
    }

    struct Expectation: Decodable, Sendable {
        var profiles: [String: [String: Value]]
        /// profile → service → `endpoint_url` of that service in the profile's `[services NAME]` section (nil when
        /// it has none, "missing" when the section it names does not exist).
        var serviceEndpoints: [String: [String: String?]]?

        enum CodingKeys: String, CodingKey {
            case profiles
            case serviceEndpoints = "service_endpoints"
        }
    }

    var name: String
    var config: FileText?
    var credentials: FileText?
    var expect: Expectation?
    var expectError: Bool?
    /// `config:LINE` or `credentials:LINE`.
    var errorAt: String?

    enum CodingKeys: String, CodingKey {
        case name, config, credentials, expect
        case expectError = "expect_error"
        case errorAt = "error_at"
    }

    var testDescription: String { name }

    static let all: [INICase] = {
        let fixture = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ini-cases.json")
        do {
            return try JSONDecoder().decode([INICase].self, from: Data(contentsOf: fixture))
        } catch {
            Issue.record("cannot read \(fixture.path): \(error)")
            return []
        }
    }()
}

/// The line a syntax error points at.
func syntaxLocation(_ error: ConfigError) -> FileLocation? {
    switch error {
    case .notUTF8(let at), .lineBeforeSection(let at), .missingDelimiter(let at), .emptyKey(let at),
        .duplicateSection(let at, _), .duplicateKey(let at, _, _), .nestedLineWithoutEquals(let at, _):
        at
    default:
        nil
    }
}

@Suite("INI files read with botocore's meaning")
struct INICaseTests {
    let files = ConfigFiles(configPath: "config", credentialsPath: "credentials")

    @Test("the fixture holds at least 30 cases with distinct names")
    func fixtureSize() {
        #expect(INICase.all.count >= 30)
        #expect(Set(INICase.all.map(\.name)).count == INICase.all.count)
    }

    @Test("each fixture case parses as botocore parses it", arguments: INICase.all)
    func fixtureCase(_ testCase: INICase) throws {
        let parse = {
            try AWSConfig.parse(
                config: testCase.config?.content ?? "",
                credentials: testCase.credentials?.content ?? "",
                files: files
            )
        }
        if testCase.expectError == true {
            let error = try #require(throws: ConfigError.self) { try parse() }
            let location = try #require(syntaxLocation(error), "not a syntax error: \(error)")
            #expect("\(location.path):\(location.line)" == testCase.errorAt)
            #expect(error.problem.hasPrefix("\(location.path):\(location.line): "))
            #expect(error.category == .configuration)
            return
        }
        let expected = try #require(testCase.expect).profiles
        var actual: [String: [String: INICase.Value]] = [:]
        for (name, profile) in try parse().profiles {
            #expect(profile.name == name)
            var values = profile.values.mapValues(INICase.Value.plain)
            values.merge(profile.sections.mapValues(INICase.Value.nested)) { _, _ in
                Issue.record("'\(name)' holds a key both as a value and as a sub-section")
                return .plain("")
            }
            actual[name] = values
        }
        #expect(actual == expected)
        let config = try parse()
        for (name, services) in try #require(testCase.expect).serviceEndpoints ?? [:] {
            let profile = try #require(config.profiles[name])
            for (service, expected) in services {
                if expected == "missing" {
                    #expect(profile["services"] != nil && profile.serviceSettings == nil, "\(name): \(service)")
                } else {
                    #expect(profile.serviceSettings?[service]?["endpoint_url"] == expected, "\(name): \(service)")
                }
            }
        }
    }
}
