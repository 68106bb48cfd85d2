import ElevateXML
import Foundation
import TestSupport
import Testing

/// Whether libxml2 is mapped can only be observed in a process that has not parsed yet, and stderr
/// can only be captured where no other test writes: both run in a child copy of this test binary.
@Suite("Lazy loading, in a child process")
struct XMLLazyLoadingTests {
    @Test("libxml2 is mapped only once the first document is parsed, and libcurl not at all; errors print nothing")
    func libxml2IsLoadedOnFirstParse() throws {
        let child = try ChildProcess.run(scenario: "lazy-xml", filter: "ElevateXMLTests.XMLChildScenarios")
        #expect(child.status == 0, "\(child.output)")
        #expect(child.report == [
            "xml at start: false",
            "xml after building an element: false",
            "parse: AssumeRoleResponse",
            "xml after parse: true",
            "curl after parse: false",
            "malformed: true",
            "stderr bytes: 0",
        ], "\(child.output)")
    }
}

/// Runs only inside the child started by `XMLLazyLoadingTests`.
@Suite("XML child scenarios", .enabled(if: ChildProcess.scenario == "lazy-xml"))
struct XMLChildScenarios {
    @Test("the lazy-xml scenario")
    func scenario() throws {
        var report: [String] = []
        report.append("xml at start: \(XMLDocument.isLibraryLoaded)")
        _ = "\(XMLElement(localName: "a", text: "b")) \(XMLError.doctypeNotAllowed) \(XMLLimits.default)"
        report.append("xml after building an element: \(XMLDocument.isLibraryLoaded)")
        report.append("parse: \((try? XMLDocument.parse(Array(Samples.assumeRoleSuccess.utf8)).localName) ?? "failed")")
        report.append("xml after parse: \(XMLDocument.isLibraryLoaded)")
        let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
        report.append("curl after parse: \(maps.contains("libcurl"))")

        // libxml2 reports parse errors on stderr unless told not to: capture fd 2 around bad parses.
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("xml-stderr-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: capture) }
        let saved = dup(2)
        let file = open(capture.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(file, 2)
        var failures = 0
        for bad in ["<a><b></a>", "<a>&undefined;</a>", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
                    "<a>\u{1}</a>", "<a b='1' b='2'/>"] {
            if (try? XMLDocument.parse(Array(bad.utf8))) == nil { failures += 1 }
        }
        dup2(saved, 2)
        close(saved)
        close(file)
        report.append("malformed: \(failures == 5)")
        let written = (try? Data(contentsOf: capture))?.count ?? -1
        report.append("stderr bytes: \(written)")
        try ChildProcess.writeReport(report)
    }
}
