import ElevateCore
import Foundation
import Logging
import Synchronization
import Testing

private struct FixedSource: SourcePlugin {
    var name: String
    var summary = "test source"
    var result: Credentials?
    var selection = SourceSelection()

    func credentials(for step: Step, settings: Void, context: RunContext) async throws -> Credentials? { result }
}

private struct SuffixElevation: ElevationPlugin {
    var name: String
    var summary = "test elevation"
    var selectingSettings: [String] = []

    func elevate(_ input: Credentials, step: Step, settings: Void, hop: Int, context: RunContext) async throws
        -> Credentials
    {
        Credentials(
            accessKeyId: input.accessKeyId + "X\(hop)\(step.profile.name)",
            secretAccessKey: input.secretAccessKey,
            origin: .role
        )
    }
}

private struct SettingError: Error, Equatable {
    var key: String
}

/// Counts how often its settings are read, and fails on a `bad` setting.
private final class CountingSource: SourcePlugin, Sendable {
    let name = "counting"
    let summary = "counts settings reads"
    let reads = Mutex(0)

    func settings(for step: Step, context: RunContext) throws(SettingError) -> String {
        reads.withLock { $0 += 1 }
        if step.profile["bad"] != nil { throw SettingError(key: "bad") }
        return step.profile["value"] ?? "none"
    }

    func credentials(for step: Step, settings: String, context: RunContext) async throws -> Credentials? {
        Credentials(accessKeyId: "AKID" + settings, secretAccessKey: "s")
    }

    func cacheIdentity(for step: Step, settings: String, context: RunContext) -> [String: String]? {
        ["value": settings]
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

    @Test("sources are found by what they declare: a place in botocore's order, a credential_source value")
    func bySelection() throws {
        var registry = PluginRegistry()
        try registry.register(FixedSource(name: "keys", selection: SourceSelection(
            ranks: [.credentialsFile, .configFile], settings: ["aws_access_key_id"])))
        try registry.register(FixedSource(name: "box", selection: SourceSelection(credentialSource: "Box")))
        try registry.register(SuffixElevation(name: "up", selectingSettings: ["role_arn"]))
        #expect(registry.source(at: .configFile)?.name == "keys")
        #expect(registry.source(at: .process) == nil)
        #expect(registry.source(credentialSource: "Box")?.name == "box")
        #expect(registry.source(credentialSource: "box") == nil, "credential_source is compared exactly")
        #expect(registry.credentialSources == ["Box"])
        #expect(registry.elevation(selectedBy: "role_arn")?.name == "up")
        #expect(registry.elevation(selectedBy: "source_profile") == nil)
    }

    @Test("two plugins cannot claim the same credential_source, place or selecting setting")
    func clashes() throws {
        var registry = PluginRegistry()
        let first = SourceSelection(ranks: [.process], credentialSource: "X")
        try registry.register(FixedSource(name: "a", selection: first))
        #expect(throws: RegistryError(kind: .source, name: "b", clash: "credential_source 'X' of 'a'")) {
            try registry.register(FixedSource(name: "b", selection: SourceSelection(credentialSource: "X")))
        }
        #expect(throws: RegistryError(kind: .source, name: "c", clash: "the process place of 'a'")) {
            try registry.register(FixedSource(name: "c", selection: SourceSelection(ranks: [.configFile, .process])))
        }
        try registry.register(SuffixElevation(name: "up", selectingSettings: ["role_arn"]))
        #expect(throws: RegistryError(kind: .elevation, name: "up2", clash: "setting 'role_arn' of 'up'")) {
            try registry.register(SuffixElevation(name: "up2", selectingSettings: ["role_arn"]))
        }
        #expect(registry.sources.map(\.name) == ["a"] && registry.elevations.map(\.name) == ["up"])
    }
}

@Suite("Binding a plan")
struct PlanBindingTests {
    @Test("each step's settings are read once, and the identity and the run both use them")
    func settingsReadOnce() async throws {
        let source = CountingSource()
        let profile = Profile(name: "p", values: ["value": "7"])
        let plan = Plan(profile: "p", source: SourceStep(plugin: source, profile: profile))
        let bound = try plan.bind(context: context)
        #expect(source.reads.withLock { $0 } == 1)
        #expect(bound.source.cacheIdentity(context: context) == ["value": "7"])
        #expect(try await ChainRunner().run(bound, context: context).accessKeyId == "AKID7")
        #expect(source.reads.withLock { $0 } == 1)
    }

    @Test("a settings error stops binding, before anything runs")
    func settingsError() throws {
        let profile = Profile(name: "p", values: ["bad": "1"])
        let plan = Plan(profile: "p", source: SourceStep(plugin: CountingSource(), profile: profile))
        #expect(throws: SettingError(key: "bad")) { try plan.bind(context: context) }
    }

    @Test("hops are numbered from 1 and keep their step")
    func hopNumbers() throws {
        let plan = Plan(
            profile: "c", source: SourceStep(plugin: FixedSource(name: "fixed"), profile: Profile(name: "base")),
            hops: [
                HopStep(plugin: SuffixElevation(name: "up"), profile: Profile(name: "a")),
                HopStep(plugin: SuffixElevation(name: "up"), profile: Profile(name: "b")),
            ])
        let bound = try plan.bind(context: context)
        #expect(bound.hops.map(\.hop) == [1, 2])
        #expect(bound.hops.map(\.step.profile.name) == ["a", "b"])
        #expect(bound.description == "fixed(base) → up(a) → up(b)")
        #expect(plan.lastProfile.name == "b")
    }
}

@Suite("Chain runner")
struct ChainRunnerTests {
    private func plan(source: Credentials?, hops: [String] = []) throws -> BoundPlan {
        let profile = hops.last ?? "p"
        return try Plan(
            profile: profile,
            source: SourceStep(plugin: FixedSource(name: "fixed", result: source), profile: Profile(name: "base")),
            hops: hops.map { HopStep(plugin: SuffixElevation(name: "up"), profile: Profile(name: $0)) }
        ).bind(context: context)
    }

    @Test("runs the source and then every hop in order, each on the previous credentials")
    func hopsInOrder() async throws {
        let base = Credentials(accessKeyId: "AKID", secretAccessKey: "s")
        let result = try await ChainRunner().run(plan(source: base, hops: ["a", "b", "c"]), context: context)
        #expect(result.accessKeyId == "AKIDX1aX2bX3c")
        #expect(result.origin == .role)
    }

    @Test("a source that does not apply is an error naming it and the profile")
    func sourceDoesNotApply() async throws {
        await #expect(throws: CoreError.sourceDidNotApply(plugin: "fixed", profile: "base")) {
            try await ChainRunner().run(plan(source: nil), context: context)
        }
    }

    @Test("regression: credentials that already expired are an error, not a document the SDK rejects later")
    func expiredSource() async throws {
        let stale = Credentials(
            accessKeyId: "ASIA", secretAccessKey: "s", sessionToken: "t",
            expiration: Date(timeIntervalSince1970: 978_307_200)
        )
        await #expect(throws: CoreError.expired(plugin: "fixed", profile: "base", at: "2001-01-01T00:00:00Z")) {
            try await ChainRunner().run(plan(source: stale), context: context)
        }
    }
}
