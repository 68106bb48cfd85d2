import ElevateCore
import Testing

@Suite("failures")
struct FailureTests {
    struct Plain: ElevateFailure {
        var category = FailureCategory.credentials
        var problem = "p"
        var remedy = "r"
    }

    @Test("a failure is not a denial unless its type says so")
    func defaultIsNotADenial() {
        #expect(!Plain().isDenial)
        let existential: any ElevateFailure = Plain()
        #expect(!existential.isDenial)
    }

    @Test("a source that finds no credentials, or gives expired ones, is a denial; an unknown plugin is not")
    func coreDenials() {
        let denials: [any ElevateFailure] = [
            CoreError.sourceDidNotApply(plugin: "env", profile: "p"),
            CoreError.expired(plugin: "process", profile: "p", at: "2030-01-01T00:00:00Z"),
        ]
        #expect(denials.allSatisfy { $0.isDenial })
        #expect(!CoreError.unknownPlugin(kind: .source, name: "x", known: []).isDenial)
    }
}
