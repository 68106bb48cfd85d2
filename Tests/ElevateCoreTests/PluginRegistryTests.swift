import ElevateCore
import Foundation
import Logging
import Testing

private struct FixedSource: SourcePlugin {
    var name: String
    var summary = "test source"
    var result: Credentials?

    func credentials(for step: Step, context: RunContext) async throws -> Credentials? { result }
}

private struct SuffixElevation: ElevationPlugin {
    var name: String
    var summary = "test elevation"

    func elevate(_ input: Credentials, step: Step, hop: Int, context: RunContext) async throws -> Credentials {
        Credentials(
            accessKeyId: input.accessKeyId + "X\(hop)\(step.profile.name)",
            secretAccessKey: input.secretAccessKey,
            origin: .role
        )
    }
}

private let context = RunContext(environment: [:], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })

@Suite("Plugin registry")
struct PluginRegistryTests {
    @Test("finds registered plugins by name")
    func lookup() throws {
        var registry = PluginRegistry()
        try registry.register(FixedSource(name: "alpha"))
        try registry.register(SuffixElevation(name: "up"))
        #expect(try registry.source(named: "alpha").name == "alpha")
        #expect(try registry.elevation(named: "up").name == "up")
    }

    @Test("an unknown name is an error listing the known ones")
    func unknownName() throws {
        var registry = PluginRegistry()
        try registry.register(FixedSource(name: "alpha"))
        try registry.register(FixedSource(name: "beta"))
        #expect(throws: CoreError.unknownPlugin(kind: .source, name: "gamma", known: ["alpha", "beta"])) {
            try registry.source(named: "gamma")
        }
        let error = CoreError.unknownPlugin(kind: .source, name: "gamma", known: ["alpha", "beta"])
        #expect(error.problem == "no source plugin named 'gamma'")
        #expect(error.remedy == "use one of: alpha, beta")
        #expect(error.category == .configuration)
    }

    @Test("a name registers once per kind")
    func duplicate() throws {
        var registry = PluginRegistry()
        try registry.register(FixedSource(name: "alpha"))
        #expect(throws: RegistryError(kind: .source, name: "alpha")) {
            try registry.register(FixedSource(name: "alpha"))
        }
        try registry.register(SuffixElevation(name: "alpha"))
        #expect(registry.sources.count == 1 && registry.elevations.count == 1)
    }
}

@Suite("Chain runner")
struct ChainRunnerTests {
    private func registry(source: Credentials?) throws -> PluginRegistry {
        var registry = PluginRegistry()
        try registry.register(FixedSource(name: "fixed", result: source))
        try registry.register(SuffixElevation(name: "up"))
        return registry
    }

    @Test("runs the source and then every hop in order, each on the previous credentials")
    func hopsInOrder() async throws {
        let base = Credentials(accessKeyId: "AKID", secretAccessKey: "s")
        let plan = Plan(
            profile: "c",
            source: Step(plugin: "fixed", profile: Profile(name: "base")),
            hops: [
                Step(plugin: "up", profile: Profile(name: "a")),
                Step(plugin: "up", profile: Profile(name: "b")),
                Step(plugin: "up", profile: Profile(name: "c")),
            ]
        )
        let result = try await ChainRunner(registry: registry(source: base)).run(plan, context: context)
        #expect(result.accessKeyId == "AKIDX1aX2bX3c")
        #expect(result.origin == .role)
    }

    @Test("a source that does not apply is an error naming it and the profile")
    func sourceDoesNotApply() async throws {
        let plan = Plan(profile: "p", source: Step(plugin: "fixed", profile: Profile(name: "p")))
        await #expect(throws: CoreError.sourceDidNotApply(plugin: "fixed", profile: "p")) {
            try await ChainRunner(registry: registry(source: nil)).run(plan, context: context)
        }
    }

    @Test("an unknown hop plugin fails before the source runs")
    func unknownHopFirst() throws {
        let plan = Plan(
            profile: "p",
            source: Step(plugin: "fixed", profile: Profile(name: "p")),
            hops: [Step(plugin: "assume-role", profile: Profile(name: "p"))]
        )
        #expect(throws: CoreError.unknownPlugin(kind: .elevation, name: "assume-role", known: ["up"])) {
            try ChainRunner(registry: registry(source: nil)).validate(plan)
        }
    }

    @Test("regression: credentials that already expired are an error, not a document the SDK rejects later")
    func expiredSource() async throws {
        let stale = Credentials(
            accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t",
            expiration: Date(timeIntervalSince1970: 978_307_200)
        )
        let plan = Plan(profile: "p", source: Step(plugin: "fixed", profile: Profile(name: "p")))
        await #expect(throws: CoreError.expired(plugin: "fixed", profile: "p", at: "2001-01-01T00:00:00Z")) {
            try await ChainRunner(registry: registry(source: stale)).run(plan, context: context)
        }
    }
}
